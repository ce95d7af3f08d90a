// What every platform service command and query returns: a value, or a typed error (a code a
// program can branch on and a message a person can read). Services never throw across their
// boundary; the REST adapter will map codes to HTTP statuses.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ccsim::platform {

enum class ErrorCode : std::uint8_t {
  kInvalidArgument,     // malformed or oversized input
  kNotFound,            // no such organization, device, user, entry...
  kAlreadyExists,       // a unique name or claim taken
  kPermissionDenied,    // the caller's role does not allow it
  kUnauthenticated,     // no valid identity or token
  kFailedPrecondition,  // not allowed in the current state
  kResourceExhausted,   // a limit or seat count reached
  kLocked,              // temporarily refused (e.g. too many wrong keys)
};

// Stable lower-case name of a code ("invalid_argument", ...), for logs, JSON and tests.
std::string_view error_code_name(ErrorCode code);

struct ServiceError {
  ErrorCode code;
  std::string message;
};

// A value of type T, or a ServiceError.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}             // NOLINT: implicit, as a return value
  Result(ServiceError error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& {
    assert(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(state_));
  }
  const ServiceError& error() const {
    assert(!ok());
    return std::get<ServiceError>(state_);
  }

 private:
  std::variant<T, ServiceError> state_;
};

// The value of a command that returns nothing but may fail.
struct Done {};

inline ServiceError error(ErrorCode code, std::string message) {
  return ServiceError{code, std::move(message)};
}

inline std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
    case ErrorCode::kLocked:
      return "locked";
  }
  return "unknown";
}

// The code error_code_name names `name`; nullopt for a name it gives no code.
inline std::optional<ErrorCode> parse_error_code(std::string_view name) {
  for (const ErrorCode code :
       {ErrorCode::kInvalidArgument, ErrorCode::kNotFound, ErrorCode::kAlreadyExists,
        ErrorCode::kPermissionDenied, ErrorCode::kUnauthenticated, ErrorCode::kFailedPrecondition,
        ErrorCode::kResourceExhausted, ErrorCode::kLocked}) {
    if (error_code_name(code) == name) return code;
  }
  return std::nullopt;
}

}  // namespace ccsim::platform
