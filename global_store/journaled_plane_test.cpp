#include "global_store/journaled_plane.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>

#include "platform/command.h"
#include "platform/demo_tenant.h"

namespace ccsim::global_store {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::uint64_t kSeed = 5;

std::vector<platform::FactoryRecord> cameras() {
  return {{"CAM-1", "bullet", platform::DeviceKind::kCamera, platform::DeviceTier::kTier1,
           "AAAA-BBBB-CCCC-0001", 8760h, 43800h, "11.11.0"},
          {"CAM-2", "dome", platform::DeviceKind::kCamera, platform::DeviceTier::kTier1,
           "AAAA-BBBB-CCCC-0002", 8760h, 43800h, "11.11.0"}};
}

std::string claim(const platform::DemoTenant& tenant, const std::string& serial,
                  const std::string& oak) {
  return Json{{"command", "claim_device"},
              {"actor", tenant.user},
              {"params", {{"organization", tenant.organization}, {"serial", serial}, {"oak", oak}}}}
      .dump();
}

std::string list(const platform::DemoTenant& tenant) {
  return Json{{"command", "list_devices"},
              {"actor", tenant.user},
              {"params", {{"organization", tenant.organization}}}}
      .dump();
}

class JournaledPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = fs::temp_directory_path() /
            ("ccsim_journal_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    remove_files();
  }
  void TearDown() override { remove_files(); }
  void remove_files() {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file_.string() + suffix);
  }

  // The demo tenant, two cameras, a right and a wrong claim, through `run`; the times go by one
  // second from `now`.
  template <typename Run, typename Register>
  platform::DemoTenant history(Run run, Register register_devices, core::Time& now) {
    const platform::Result<platform::DemoTenant> tenant =
        platform::make_demo_tenant(run, now, "demo@ccsim.example");
    EXPECT_TRUE(tenant.ok());
    register_devices(now += 1s, cameras());
    run(now += 1s, claim(tenant.value(), "CAM-1", "AAAA-BBBB-CCCC-0001"));
    run(now += 1s, claim(tenant.value(), "CAM-2", "WRONG-OAK"));
    return tenant.value();
  }

  // Runs `sql` on the closed store behind the journal's back.
  void tamper(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  fs::path file_;
};

// A second derivation: the same history on a plain plane that never saw a journal answers every
// read as the reopened one does.
TEST_F(JournaledPlaneTest, ReopeningReplaysTheHistoryIntoTheSameState) {
  core::Time now{};
  platform::DemoTenant tenant;
  {
    JournaledPlane plane(file_, kSeed);
    tenant = history(
        [&](core::Time at, std::string_view r) { return plane.execute(at, r); },
        [&](core::Time at, const auto& records) { plane.register_devices(at, records); }, now);
  }
  platform::ControlPlane direct(kSeed);
  core::Time direct_now{};
  history(
      [&](core::Time at, std::string_view r) { return platform::execute_command(direct, at, r); },
      [&](core::Time at, const auto& records) {
        (void)direct.registry.register_devices(at, records);
      },
      direct_now);
  JournaledPlane reopened(file_, kSeed);
  EXPECT_GT(reopened.replayed(), 10u);
  now += 1s;
  EXPECT_EQ(reopened.execute(now, list(tenant)),
            platform::execute_command(direct, now, list(tenant)));
  const std::string audit = Json{{"command", "search_audit"},
                                 {"actor", tenant.user},
                                 {"params", {{"organization", tenant.organization}}}}
                                .dump();
  EXPECT_EQ(reopened.execute(now, audit), platform::execute_command(direct, now, audit));
  EXPECT_TRUE(reopened.plane().audit_log.verify().intact);
  // The token issued before the restart still verifies: the signing key came back with the seed.
  EXPECT_TRUE(reopened.plane().apps.verify_token(now, tenant.access_token).ok());
}

TEST_F(JournaledPlaneTest, ReadsAreNotWrittenAndTimeNeverGoesBack) {
  platform::DemoTenant tenant;
  {
    JournaledPlane plane(file_, kSeed);
    core::Time now = 100s;
    tenant = platform::make_demo_tenant(
                 [&](core::Time at, std::string_view r) { return plane.execute(at, r); }, now,
                 "demo@ccsim.example")
                 .value();
    EXPECT_EQ(plane.time_from(0s), now);  // the wall clock set back: the last entry's time
    plane.execute(now, list(tenant));
    plane.execute(now, R"({"command": "nonsense"})");  // refused: changes nothing
  }
  JournaledPlane reopened(file_, kSeed);
  EXPECT_EQ(reopened.replayed(), 9u) << "the tenant's nine commands, no read, no nonsense";
}

TEST_F(JournaledPlaneTest, ItRefusesAnotherSeedANewerSchemaAndAHistoryThatAnswersDifferently) {
  {
    JournaledPlane plane(file_, kSeed);
    core::Time now{};
    ASSERT_TRUE(platform::make_demo_tenant(
                    [&](core::Time at, std::string_view r) { return plane.execute(at, r); }, now,
                    "demo@ccsim.example")
                    .ok());
  }
  try {
    JournaledPlane other(file_, kSeed + 1);
    FAIL() << "another seed was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("made with seed 5, not 6"), std::string::npos) << e.what();
  }
  tamper("UPDATE journal SET answer = 'forged' WHERE sequence = 3");
  try {
    JournaledPlane forged(file_, kSeed);
    FAIL() << "a changed answer was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("entry 3 answers differently"), std::string::npos)
        << e.what();
  }
  tamper("INSERT INTO schema VALUES (99)");
  try {
    CommandJournal newer(file_, kSeed);
    FAIL() << "a newer schema was accepted";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99 is a newer ccsim's"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ccsim::global_store
