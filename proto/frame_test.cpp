// Frame codec: round trips, the size limit, malformed input, field limits, tolerance of fields
// this build does not know.
#include "proto/frame.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <variant>

namespace ccsim::wire {
namespace {

using google::protobuf::util::MessageDifferencer;

Envelope addressed(const std::string& source, const std::string& destination) {
  Envelope e;
  e.set_source(source);
  e.set_destination(destination);
  e.set_correlation_id(42);
  e.set_sent_at_us(1'234'567);
  return e;
}

Envelope valid_hello() {
  Envelope e = addressed("ACCC8E000001", "platform");
  DeviceHello* h = e.mutable_hello();
  h->set_serial("ACCC8E000001");
  h->set_model("tier1-bullet");
  h->set_tier(1);
  h->set_os_version("11.11.0");
  h->set_agent_version("ccsim-agent/1");
  return e;
}

// Decodes `frame`, expecting an error; returns it (or a sentinel that fails the caller's checks).
FrameError decode_error(std::string_view frame) {
  Envelope out;
  auto result = decode_frame(frame, out);
  if (!std::holds_alternative<FrameError>(result)) {
    ADD_FAILURE() << "frame of " << frame.size() << " bytes decoded without error";
    return {FrameErrorCode::kOversized, "<no error>"};
  }
  return std::get<FrameError>(result);
}

void expect_round_trip(const Envelope& in) {
  const std::string frame = encode_frame(in);
  Envelope out;
  auto result = decode_frame(frame, out);
  ASSERT_TRUE(std::holds_alternative<std::monostate>(result))
      << std::get<FrameError>(result).message;
  EXPECT_EQ(out.body_case(), in.body_case());
  EXPECT_TRUE(MessageDifferencer::Equals(in, out))
      << "in: " << in.ShortDebugString() << "\nout: " << out.ShortDebugString();
}

TEST(Frame, RoundTripsHello) {
  expect_round_trip(valid_hello());
}

TEST(Frame, RoundTripsHelloAck) {
  Envelope e = addressed("platform", "ACCC8E000001");
  e.mutable_hello_ack()->set_accepted(true);
  e.mutable_hello_ack()->set_heartbeat_interval_ms(300'000);
  expect_round_trip(e);

  Envelope refused = addressed("platform", "ACCC8E000001");
  refused.mutable_hello_ack()->set_accepted(false);
  refused.mutable_hello_ack()->set_reason("fleet full");
  expect_round_trip(refused);
}

TEST(Frame, RoundTripsAHostsHelloWithTheDevicesItCarries) {
  Envelope e = valid_hello();
  e.mutable_hello()->set_os_track("lts-2024");
  e.mutable_hello()->set_lan("lund-lan");
  for (int i = 0; i < 3; ++i) {
    HostedDevice* d = e.mutable_hello()->add_hosted();
    d->set_serial("B8A44F00000" + std::to_string(i));
    d->set_model("tier2-dome");
    d->set_os_version("10.12.300");
    d->set_os_track("lts-2022");
  }
  expect_round_trip(e);
}

TEST(Frame, RoundTripsOnboardingAndModeBodies) {
  Envelope provision = addressed("platform", "ACCC8E000001");
  Provision* p = provision.mutable_provision();
  p->set_serial("ACCC8E000001");
  p->set_organization("org-000001");
  p->set_profile("managed-lts");
  p->set_mode("managed");
  p->set_os_track("lts-2024");
  expect_round_trip(provision);

  Envelope ack = addressed("ACCC8E000001", "platform");
  ack.mutable_provision_ack()->set_serial("ACCC8E000001");
  ack.mutable_provision_ack()->set_accepted(true);
  ack.mutable_provision_ack()->set_os_version("11.11.0");
  ack.mutable_provision_ack()->set_os_track("lts-2024");
  expect_round_trip(ack);

  Envelope refused = addressed("ACCC8E000001", "platform");
  refused.mutable_provision_ack()->set_serial("ACCC8E000001");
  refused.mutable_provision_ack()->set_reason("storage full");
  expect_round_trip(refused);  // a refusal needs no OS facts

  Envelope report = addressed("ACCC8E000001", "platform");
  report.mutable_device_report()->set_serial("ACCC8E000001");
  report.mutable_device_report()->set_app_installed("motion-guard");
  expect_round_trip(report);
  report.mutable_device_report()->set_local_administrator_used(true);
  expect_round_trip(report);
  report.mutable_device_report()->mutable_os()->set_version("12.2.0");
  report.mutable_device_report()->mutable_os()->set_track("active");
  expect_round_trip(report);

  Envelope mode = addressed("platform", "ACCC8E000001");
  mode.mutable_mode_change()->set_serial("ACCC8E000001");
  mode.mutable_mode_change()->set_mode("connected");
  mode.mutable_mode_change()->set_cause("local_administrator_used");
  expect_round_trip(mode);
}

TEST(Frame, RoundTripsTaskBodies) {
  Envelope dispatch = addressed("platform", "ACCC8E000001");
  TaskDispatch* d = dispatch.mutable_task_dispatch();
  d->set_task("task-00000001");
  d->set_device("ACCC8E000002");
  d->set_action(TASK_ACTION_SET_OVERLAY_TEXT);
  (*d->mutable_parameters())["text"] = "Entrance";
  d->set_time_left_us(300'000'000);
  d->set_rerun_after_restart(true);
  d->set_delivery(2);
  expect_round_trip(dispatch);

  Envelope cancel = addressed("platform", "ACCC8E000001");
  cancel.mutable_task_cancel()->set_task("task-00000001");
  expect_round_trip(cancel);

  Envelope receipt = addressed("platform", "ACCC8E000001");
  receipt.mutable_task_receipt()->set_task("ACCC8E000001:local-000001");
  receipt.mutable_task_receipt()->set_host_task(true);
  expect_round_trip(receipt);

  Envelope update = addressed("ACCC8E000001", "platform");
  update.mutable_task_update()->set_task("task-00000001");
  update.mutable_task_update()->set_acknowledged(true);
  expect_round_trip(update);
  update.mutable_task_update()->set_refused("queue full");
  expect_round_trip(update);
  update.mutable_task_update()->set_started(true);
  expect_round_trip(update);
  update.mutable_task_update()->mutable_result()->set_outcome(TASK_OUTCOME_FAILED);
  update.mutable_task_update()->mutable_result()->set_detail("rolled back to 11.11.0");
  expect_round_trip(update);
  HostTask* created = update.mutable_task_update()->mutable_created();
  created->set_device("ACCC8E000003");
  created->set_action(TASK_ACTION_ADOPT_DEVICE);
  created->set_timeout_us(1'800'000'000);
  created->set_started(true);
  expect_round_trip(update);
}

TEST(Frame, RoundTripsReleaseAndDiagnosticsBodies) {
  Envelope check = addressed("ACCC8E000001", "platform");
  check.mutable_release_check()->set_sequence(3);
  expect_round_trip(check);

  Envelope offer = addressed("platform", "ACCC8E000001");
  offer.mutable_release_offer()->set_sequence(3);
  DeviceOffer* o = offer.mutable_release_offer()->add_offers();
  o->set_serial("ACCC8E000001");
  o->set_kind("install_in_window");
  o->set_version("11.11.5");
  o->set_size_bytes(150'000'000);
  o->set_start_in_us(10);
  o->set_last_start_in_us(20);
  expect_round_trip(offer);

  Envelope consent = addressed("platform", "ACCC8E000001");
  consent.mutable_diagnostics_consent()->set_serial("ACCC8E000001");
  consent.mutable_diagnostics_consent()->set_granted(true);
  expect_round_trip(consent);

  Envelope telemetry = addressed("ACCC8E000001", "platform");
  Telemetry* t = telemetry.mutable_telemetry();
  t->set_serial("ACCC8E000001");
  t->set_load_permille(kPermilleMax);
  t->set_sd_card_health_permille(0);
  t->set_crashes(kTelemetryCrashesMax);
  expect_round_trip(telemetry);
}

TEST(Frame, TaskAndReleaseLimitsNameTheField) {
  const std::pair<std::string, std::function<void(Envelope&)>> cases[] = {
      {"task_dispatch.task", [](Envelope& e) { e.mutable_task_dispatch()->set_task(""); }},
      {"task_dispatch.parameters",
       [](Envelope& e) {
         TaskDispatch* d = e.mutable_task_dispatch();
         d->set_task("t");
         d->set_device("d");
         d->set_action(TASK_ACTION_REBOOT);
         for (std::size_t i = 0; i <= kTaskParametersMax; ++i) {
           (*d->mutable_parameters())["k" + std::to_string(i)] = "v";
         }
       }},
      {"task_update: no event", [](Envelope& e) { e.mutable_task_update()->set_task("t"); }},
      {"task_update.result.detail",
       [](Envelope& e) {
         e.mutable_task_update()->set_task("t");
         e.mutable_task_update()->mutable_result()->set_outcome(TASK_OUTCOME_FAILED);
         e.mutable_task_update()->mutable_result()->set_detail(std::string(kTextBytesMax + 1, 'x'));
       }},
      {"task_update.created.device",
       [](Envelope& e) {
         e.mutable_task_update()->set_task("t");
         e.mutable_task_update()->mutable_created()->set_action(TASK_ACTION_ADOPT_DEVICE);
       }},
      // A task's action and outcome: absent (the zero), or a number this schema does not name.
      {"task_dispatch.action: 0 (unspecified), expected a TaskAction",
       [](Envelope& e) {
         e.mutable_task_dispatch()->set_task("t");
         e.mutable_task_dispatch()->set_device("d");
       }},
      {"task_dispatch.action: 99 (unknown), expected a TaskAction",
       [](Envelope& e) {
         e.mutable_task_dispatch()->set_task("t");
         e.mutable_task_dispatch()->set_device("d");
         e.mutable_task_dispatch()->set_action(static_cast<TaskAction>(99));
       }},
      {"task_update.result.outcome: 0 (unspecified), expected a TaskOutcome",
       [](Envelope& e) {
         e.mutable_task_update()->set_task("t");
         e.mutable_task_update()->mutable_result()->set_detail("done");
       }},
      {"task_update.result.outcome: 5 (unknown), expected a TaskOutcome",
       [](Envelope& e) {
         e.mutable_task_update()->set_task("t");
         e.mutable_task_update()->mutable_result()->set_outcome(static_cast<TaskOutcome>(5));
       }},
      {"task_update.created.action: 0 (unspecified)",
       [](Envelope& e) {
         e.mutable_task_update()->set_task("t");
         e.mutable_task_update()->mutable_created()->set_device("d");
       }},
      {"task_update.created.action: -1 (unknown)",
       [](Envelope& e) {
         e.mutable_task_update()->set_task("t");
         e.mutable_task_update()->mutable_created()->set_device("d");
         e.mutable_task_update()->mutable_created()->set_action(static_cast<TaskAction>(-1));
       }},
      {"release_offer.offers:",
       [](Envelope& e) {
         for (std::size_t i = 0; i <= kDeviceOffersMax; ++i) {
           DeviceOffer* o = e.mutable_release_offer()->add_offers();
           o->set_serial("S");
           o->set_kind("recommend");
           o->set_version("1.2.3");
         }
       }},
      {"release_offer.offers.version",
       [](Envelope& e) {
         DeviceOffer* o = e.mutable_release_offer()->add_offers();
         o->set_serial("S");
         o->set_kind("recommend");
       }},
      {"telemetry:",
       [](Envelope& e) {
         e.mutable_telemetry()->set_serial("S");
         e.mutable_telemetry()->set_load_permille(kPermilleMax + 1);
       }},
      {"telemetry:",
       [](Envelope& e) {
         e.mutable_telemetry()->set_serial("S");
         e.mutable_telemetry()->set_crashes(kTelemetryCrashesMax + 1);
       }},
  };
  for (const auto& [field, corrupt] : cases) {
    Envelope e = addressed("ACCC8E000001", "platform");
    corrupt(e);
    const FrameError error = decode_error(encode_frame(e));
    EXPECT_EQ(error.code, FrameErrorCode::kFieldOutOfRange) << field;
    EXPECT_NE(error.message.find(field), std::string::npos) << error.message;
  }
}

TEST(Frame, AReportWithoutAFactIsUnknownBody) {
  Envelope e = addressed("ACCC8E000001", "platform");
  e.mutable_device_report()->set_serial("ACCC8E000001");
  EXPECT_EQ(decode_error(encode_frame(e)).code, FrameErrorCode::kUnknownBody);
}

TEST(Frame, RoundTripsSignalingAndLimitsItsText) {
  Envelope e = addressed("platform", "ACCC8E000001");
  e.mutable_signaling()->set_serial("ACCC8E000001");
  e.mutable_signaling()->set_json(R"({"jsonrpc":"2.0","method":"trickle","params":{}})");
  expect_round_trip(e);
  e.mutable_signaling()->set_json(std::string(48 * 1024, 'x'));
  expect_round_trip(e);
  e.mutable_signaling()->set_json(std::string(48 * 1024 + 1, 'x'));
  const FrameError error = decode_error(encode_frame(e));
  EXPECT_EQ(error.code, FrameErrorCode::kFieldOutOfRange);
  EXPECT_NE(error.message.find("signaling.json"), std::string::npos) << error.message;
  e.mutable_signaling()->set_json("{}");
  e.mutable_signaling()->clear_serial();
  EXPECT_NE(decode_error(encode_frame(e)).message.find("signaling.serial"), std::string::npos);
}

TEST(Frame, RoundTripsHeartbeat) {
  Envelope e = addressed("ACCC8E000001", "platform");
  e.mutable_heartbeat()->set_sequence(17);
  e.mutable_heartbeat()->set_uptime_s(3600);
  expect_round_trip(e);
}

TEST(Frame, RoundTripsHeartbeatAck) {
  Envelope e = addressed("platform", "ACCC8E000001");
  e.mutable_heartbeat_ack()->set_sequence(17);
  expect_round_trip(e);
}

TEST(Frame, RoundTripsGoodbye) {
  Envelope e = addressed("ACCC8E000001", "platform");
  e.mutable_goodbye()->set_reason("shutdown");
  expect_round_trip(e);
}

TEST(Frame, RefusesOneByteOverTheLimitBeforeParsing) {
  // Zero bytes would parse as an (empty) envelope; the size check must come first.
  const std::string frame(kFrameBytesMax + 1, '\0');
  const FrameError error = decode_error(frame);
  EXPECT_EQ(error.code, FrameErrorCode::kOversized);
  EXPECT_NE(error.message.find(std::to_string(kFrameBytesMax + 1)), std::string::npos)
      << error.message;
}

TEST(Frame, AcceptsAFrameOfExactlyTheLimit) {
  // Pad a valid frame with an unknown length-delimited field 99 up to exactly kFrameBytesMax.
  std::string frame = encode_frame(valid_hello());
  const std::size_t tag_and_length_bytes = 2 + 3;  // tag 99/LEN is 2 bytes; length < 2^21 is 3
  const std::size_t payload = kFrameBytesMax - frame.size() - tag_and_length_bytes;
  ASSERT_GE(payload, std::size_t{1} << 14);  // so its varint really is 3 bytes
  frame += "\x9a\x06";
  frame += static_cast<char>(0x80 | (payload & 0x7f));
  frame += static_cast<char>(0x80 | ((payload >> 7) & 0x7f));
  frame += static_cast<char>(payload >> 14);
  frame.append(payload, 'x');
  ASSERT_EQ(frame.size(), kFrameBytesMax);

  Envelope out;
  auto result = decode_frame(frame, out);
  ASSERT_TRUE(std::holds_alternative<std::monostate>(result))
      << std::get<FrameError>(result).message;
  EXPECT_EQ(out.hello().serial(), "ACCC8E000001");
}

TEST(Frame, RejectsJunkAsMalformed) {
  const std::string valid = encode_frame(valid_hello());
  const std::string junk[] = {
      std::string("\x0a\x0a"
                  "ab",
                  4),                     // field 1 says 10 bytes, 2 follow
      std::string("\x0f", 1),             // field 1 with wire type 7, which does not exist
      std::string("\x00", 1),             // field number 0 is reserved
      std::string("\x20\xff\xff", 3),     // varint field 4 cut off mid-value
      valid.substr(0, valid.size() - 1),  // a valid frame missing its last byte
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),  // overlong varint tag
  };
  for (const std::string& frame : junk) {
    const FrameError error = decode_error(frame);
    EXPECT_EQ(error.code, FrameErrorCode::kMalformed) << "junk of " << frame.size() << " bytes";
  }
}

TEST(Frame, EnvelopeWithoutBodyIsUnknownBody) {
  const FrameError error = decode_error(encode_frame(addressed("ACCC8E000001", "platform")));
  EXPECT_EQ(error.code, FrameErrorCode::kUnknownBody);
}

TEST(Frame, BodyFromANewerSchemaIsUnknownBody) {
  // Field 40 is no body in this build's oneof; the frame must parse and then be refused.
  std::string frame = encode_frame(addressed("ACCC8E000001", "platform"));
  frame += std::string("\xc2\x02\x00", 3);  // field 40, LEN, zero bytes
  EXPECT_EQ(decode_error(frame).code, FrameErrorCode::kUnknownBody);
}

TEST(Frame, FullyEmptyFrameNamesTheMissingSource) {
  const FrameError error = decode_error("");
  EXPECT_EQ(error.code, FrameErrorCode::kFieldOutOfRange);
  EXPECT_NE(error.message.find("source"), std::string::npos) << error.message;
}

struct FieldCase {
  const char* field;
  void (*spoil)(Envelope&);
};

TEST(Frame, FieldLimitsNameTheField) {
  const FieldCase cases[] = {
      {"hello.serial", [](Envelope& e) { e.mutable_hello()->set_serial(""); }},
      {"hello.serial",
       [](Envelope& e) {
         e.mutable_hello()->set_serial(std::string(kIdentifierBytesMax + 1, 's'));
       }},
      {"hello.model", [](Envelope& e) { e.mutable_hello()->set_model(""); }},
      {"hello.model",
       [](Envelope& e) {
         e.mutable_hello()->set_model(std::string(kIdentifierBytesMax + 1, 'm'));
       }},
      {"hello.os_version", [](Envelope& e) { e.mutable_hello()->set_os_version(""); }},
      {"hello.os_version",
       [](Envelope& e) { e.mutable_hello()->set_os_version(std::string(kTextBytesMax + 1, 'v')); }},
      {"hello.agent_version",
       [](Envelope& e) {
         e.mutable_hello()->set_agent_version(std::string(kTextBytesMax + 1, 'a'));
       }},
      {"hello.tier", [](Envelope& e) { e.mutable_hello()->set_tier(3); }},
      {"hello.tier", [](Envelope& e) { e.mutable_hello()->set_tier(0); }},
      {"source", [](Envelope& e) { e.set_source(""); }},
      {"source", [](Envelope& e) { e.set_source(std::string(kIdentifierBytesMax + 1, 'a')); }},
      {"destination", [](Envelope& e) { e.set_destination(""); }},
      {"destination",
       [](Envelope& e) { e.set_destination(std::string(kIdentifierBytesMax + 1, 'a')); }},
      {"hello_ack.reason",
       [](Envelope& e) { e.mutable_hello_ack()->set_reason(std::string(kTextBytesMax + 1, 'r')); }},
      {"goodbye.reason",
       [](Envelope& e) { e.mutable_goodbye()->set_reason(std::string(kTextBytesMax + 1, 'r')); }},
      {"hello.lan",
       [](Envelope& e) { e.mutable_hello()->set_lan(std::string(kIdentifierBytesMax + 1, 'l')); }},
      {"hello.hosted.serial", [](Envelope& e) { e.mutable_hello()->add_hosted(); }},
      {"hello.hosted:",
       [](Envelope& e) {
         for (std::size_t i = 0; i <= kHostedDevicesMax; ++i) {
           HostedDevice* d = e.mutable_hello()->add_hosted();
           d->set_serial("S");
           d->set_model("M");
           d->set_os_version("1");
         }
       }},
      {"provision.organization",
       [](Envelope& e) {
         e.mutable_provision()->set_serial("S");
         e.mutable_provision()->set_profile("p");
         e.mutable_provision()->set_mode("managed");
         e.mutable_provision()->set_os_track("lts-2024");
       }},
      {"provision_ack.os_version",
       [](Envelope& e) {
         e.mutable_provision_ack()->set_serial("S");
         e.mutable_provision_ack()->set_accepted(true);
       }},
      {"device_report.app_installed",
       [](Envelope& e) {
         e.mutable_device_report()->set_serial("S");
         e.mutable_device_report()->set_app_installed(std::string(kIdentifierBytesMax + 1, 'a'));
       }},
      {"mode_change.cause",
       [](Envelope& e) {
         e.mutable_mode_change()->set_serial("S");
         e.mutable_mode_change()->set_mode("connected");
       }},
  };
  for (const FieldCase& c : cases) {
    Envelope e = valid_hello();
    c.spoil(e);
    const FrameError error = decode_error(encode_frame(e));
    EXPECT_EQ(error.code, FrameErrorCode::kFieldOutOfRange) << c.field;
    EXPECT_NE(error.message.find(c.field), std::string::npos)
        << "expected '" << c.field << "' in: " << error.message;
  }
}

TEST(Frame, FieldLimitsAreInclusive) {
  Envelope e = valid_hello();
  e.set_source(std::string(kIdentifierBytesMax, 'a'));
  e.set_destination(std::string(kIdentifierBytesMax, 'b'));
  e.mutable_hello()->set_serial(std::string(kIdentifierBytesMax, 's'));
  e.mutable_hello()->set_model(std::string(kIdentifierBytesMax, 'm'));
  e.mutable_hello()->set_os_version(std::string(kTextBytesMax, 'v'));
  e.mutable_hello()->set_tier(2);
  expect_round_trip(e);

  Envelope goodbye = addressed("ACCC8E000001", "platform");
  goodbye.mutable_goodbye()->set_reason(std::string(kTextBytesMax, 'r'));
  expect_round_trip(goodbye);
}

TEST(Frame, ToleratesUnknownFields) {
  const Envelope in = valid_hello();
  std::string frame = encode_frame(in);
  frame += std::string("\x98\x06\x01", 3);     // field 99, varint, value 1
  frame += std::string("\x9a\x06\x03xyz", 6);  // field 99 again, LEN, 3 bytes
  Envelope out;
  auto result = decode_frame(frame, out);
  ASSERT_TRUE(std::holds_alternative<std::monostate>(result))
      << std::get<FrameError>(result).message;
  EXPECT_EQ(out.hello().serial(), in.hello().serial());
  EXPECT_EQ(out.hello().tier(), 1u);
  EXPECT_EQ(out.correlation_id(), 42u);
  // Kept, so a node relaying the envelope would pass the newer fields on.
  EXPECT_EQ(out.GetReflection()->GetUnknownFields(out).field_count(), 2);
}

TEST(Frame, DecodeClearsWhatThePreviousFrameLeft) {
  // Nodes reuse one scratch envelope; a heartbeat decoded after a hello must not keep it.
  Envelope scratch;
  ASSERT_TRUE(
      std::holds_alternative<std::monostate>(decode_frame(encode_frame(valid_hello()), scratch)));
  Envelope heartbeat = addressed("ACCC8E000001", "platform");
  heartbeat.mutable_heartbeat()->set_sequence(3);
  ASSERT_TRUE(
      std::holds_alternative<std::monostate>(decode_frame(encode_frame(heartbeat), scratch)));
  EXPECT_EQ(scratch.body_case(), Envelope::kHeartbeat);
  EXPECT_FALSE(scratch.has_hello());
  EXPECT_EQ(scratch.heartbeat().sequence(), 3u);
}

TEST(Frame, ErrorNamesAreStableAndDistinct) {
  EXPECT_EQ(frame_error_name(FrameErrorCode::kOversized), "oversized");
  EXPECT_EQ(frame_error_name(FrameErrorCode::kMalformed), "malformed");
  EXPECT_EQ(frame_error_name(FrameErrorCode::kUnknownBody), "unknown_body");
  EXPECT_EQ(frame_error_name(FrameErrorCode::kFieldOutOfRange), "field_out_of_range");
  EXPECT_EQ(frame_error_name(static_cast<FrameErrorCode>(200)), "unknown");
  std::set<std::string_view> names;
  for (int code = 0; code < 4; ++code) {
    names.insert(frame_error_name(static_cast<FrameErrorCode>(code)));
  }
  EXPECT_EQ(names.size(), 4u);
}

}  // namespace
}  // namespace ccsim::wire
