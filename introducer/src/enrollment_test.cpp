// The enrollment workflow's decisions: a stand-in MotherShip (its answers are
// mothership_client_test's business), and a real Controller intake, an HTTP
// server on a free port of 127.0.0.1.
#include "enrollment.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tte/host/otp_crypto.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/http_server.hpp"
#include "tte/platform/sqlite.hpp"
#include "vectors.hpp"

namespace tte::introducer {
namespace {

constexpr const char* kUrl =
    "https://tte-00000A.net/.well-known/tte?otp=123456789abcdef0&devid=abcdef01";
constexpr std::int64_t kNow = 1795843720;

EnrollmentUrl example_device() {
  auto device = EnrollmentUrl::parse(kUrl, IdPolicy::operational);
  EXPECT_TRUE(device.ok()) << testing::describe(device);
  return device.value();
}

// The MotherShip's state object for the mapped example device.
StateObject mapped_state() {
  nlohmann::json mapped;
  for (const auto& c : testing::load_vectors("messages.json")["state_object"]) {
    if (c["json"]["state"] == "mapped" && mapped.is_null()) mapped = c["json"];
  }
  auto state = StateObject::from_json(mapped.dump());
  EXPECT_TRUE(state.ok()) << testing::describe(state);
  return state.value();
}

Site example_site(const std::string& notify_url = "", const std::string& token = "") {
  Site site{};
  site.controller = ControllerAddress::parse("192.0.2.7:5684").value();
  site.controller_fingerprint =
      Fingerprint::parse("98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4")
          .value();
  site.notify_url = notify_url;
  site.token = token;
  return site;
}

// A Controller's intake: 201 for requests with "Bearer <token>", else 401
// with a problem detail. Records what it was sent.
class Intake {
 public:
  explicit Intake(std::string token) : token_(std::move(token)) {
    http::ListenerOptions options;
    options.name = "intake";
    port_ = server_.listen(options, [this](http::Request request, http::Respond respond) {
      const bool allowed = request.header("Authorization") == "Bearer " + token_;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
      }
      respond(allowed ? http::make_response(201, "application/json", "{}")
                      : http::make_response(401, "application/problem+json",
                                            R"({"type":"about:blank","title":"Unauthorized",)"
                                            R"("status":401,"detail":"wrong intake token"})"));
    });
    thread_ = std::thread([this] { server_.run_until_signal(std::chrono::seconds(0)); });
  }
  ~Intake() {
    server_.stop();
    thread_.join();
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<http::Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  std::string token_;
  Logger logger_{"intake", LogFormat::text, LogLevel::warning};
  http::Server server_{logger_, 1};
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<http::Request> requests_;
};

// A Controller's intake with the batch route (docs/protocol.md §10.2): every
// notice 201, except those whose devid is in `refuse` (409). Without the batch
// route (an older Controller), the batch path answers 404.
class BatchIntake {
 public:
  explicit BatchIntake(bool batch_route, std::set<std::string> refuse = {})
      : batch_route_(batch_route), refuse_(std::move(refuse)) {
    http::ListenerOptions options;
    options.name = "intake";
    options.body_limit = 8 * 1024 * 1024;
    port_ = server_.listen(options, [this](http::Request request, http::Respond respond) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
      }
      auto refused = [this](const nlohmann::json& notice) {
        return notice.is_object() && refuse_.count(notice.value("devid", "")) > 0;
      };
      if (request.path() == "/.well-known/tte/devices/batch") {
        if (!batch_route_) return respond(http::make_response(404, "application/json", "{}"));
        nlohmann::json results = nlohmann::json::array();
        const auto batch = nlohmann::json::parse(request.body);
        for (const auto& notice : batch["notices"]) {
          results.push_back(
              refused(notice) ? nlohmann::json{{"status", 409}, {"problem", {{"detail", "clash"}}}}
                              : nlohmann::json{{"status", 201}});
        }
        return respond(http::make_response(200, "application/json",
                                           nlohmann::json{{"results", results}}.dump()));
      }
      respond(refused(nlohmann::json::parse(request.body))
                  ? http::make_response(409, "application/problem+json",
                                        R"({"status":409,"detail":"clash"})")
                  : http::make_response(201, "application/json", "{}"));
    });
    thread_ = std::thread([this] { server_.run_until_signal(std::chrono::seconds(0)); });
  }
  ~BatchIntake() {
    server_.stop();
    thread_.join();
  }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<http::Request> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  bool batch_route_;
  std::set<std::string> refuse_;
  Logger logger_{"intake", LogFormat::text, LogLevel::warning};
  http::Server server_{logger_, 1};
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<http::Request> requests_;
};

// A port of 127.0.0.1 that is bound but not listening: a Controller that is down.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size), 0);
    port_ = ntohs(address.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class EnrollmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "enrollment-" + std::to_string(::getpid());
    make_private_directory(dir_);
    queue_ = std::make_unique<NoticeQueue>(dir_ + "/notices.db");
  }
  void TearDown() override {
    queue_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Peers whose MotherShip gives `answer` (and records the claims it was sent).
  Peers peers(MotherShipAnswer answer) {
    Peers peers;
    peers.claim = [this, answer](const EnrollmentUrl&, const ClaimRequest& request) {
      claims_.push_back(request);
      return answer;
    };
    peers.intake.connect_timeout = std::chrono::seconds(5);
    peers.intake.timeout = std::chrono::seconds(5);
    return peers;
  }
  // Peers whose MotherShip maps `box` (every Device, the vector's state renumbered).
  Peers box_peers(const BoxUrl& box) {
    Peers peers = this->peers(mapped());
    peers.claim_box = [this, box](const BoxUrl& claimed, const ClaimRequest& request) {
      claims_.push_back(request);
      BoxAnswer answer;
      answer.verdict = Verdict::ok;
      answer.status = 200;
      for (std::uint32_t i = 0; i < claimed.count(); ++i) {
        StateObject state = mapped_state();
        state.dev_id = DevId(box.first().value() + i);
        char urn[64];
        std::snprintf(urn, sizeof urn, "urn:dev:ops:32473-Light-%05u", i);
        state.urn = DevUrn::parse(urn).value();
        char key[65];
        std::snprintf(key, sizeof key, "%064x", i + 1);
        state.fingerprint = Fingerprint::parse(key).value();
        answer.devices.push_back(state);
      }
      return answer;
    };
    return peers;
  }
  static BoxUrl example_box(std::uint32_t count) {
    BoxUrl::Key key{};
    key[15] = 7;
    return BoxUrl::make(MsId::from_host("tte-00000A.net", IdPolicy::operational).value(),
                        DevId(0x1000), count, key)
        .value();
  }
  static MotherShipAnswer mapped() {
    MotherShipAnswer answer;
    answer.verdict = Verdict::ok;
    answer.status = 200;
    answer.device = mapped_state();
    return answer;
  }

  std::string dir_;
  std::unique_ptr<NoticeQueue> queue_;
  std::vector<ClaimRequest> claims_;
};

TEST_F(EnrollmentTest, AClaimTheMotherShipRefusesMapsNothingAndQueuesNothing) {
  Intake controller("right");
  MotherShipAnswer used;
  used.verdict = Verdict::already_used;
  used.status = 409;
  EnrollmentOutcome outcome = enroll(example_device(), example_site(controller.origin(), "right"),
                                     "", peers(used), queue_.get(), kNow);
  EXPECT_FALSE(outcome.mapped());
  EXPECT_EQ(outcome.notice, NoticeOutcome::none);
  EXPECT_EQ(outcome.exit_status(), exit_code::already_used);
  EXPECT_TRUE(queue_->pending().empty());
  EXPECT_TRUE(controller.requests().empty());
}

TEST_F(EnrollmentTest, WithoutAnIntakeOnlyTheClaimIsMade) {
  const std::string description = "BLD30/2/361 - Thermostat";
  EnrollmentOutcome outcome =
      enroll(example_device(), example_site(), description, peers(mapped()), nullptr, kNow);
  EXPECT_TRUE(outcome.mapped());
  EXPECT_EQ(outcome.notice, NoticeOutcome::none);
  EXPECT_EQ(outcome.exit_status(), exit_code::ok);
  ASSERT_EQ(claims_.size(), 1u);
  const ClaimRequest& claim = claims_[0];
  EXPECT_EQ(claim.dev_id, example_device().dev_id());
  EXPECT_EQ(claim.otp, example_device().otp());
  EXPECT_EQ(claim.controller, example_site().controller);
  EXPECT_EQ(claim.controller_fingerprint, example_site().controller_fingerprint);
  EXPECT_EQ(claim.description, description);
}

TEST_F(EnrollmentTest, AnIntakeNeedsTheQueueBeforeTheOtpIsSpent) {
  EXPECT_THROW(enroll(example_device(), example_site("http://127.0.0.1:9", ""), "", peers(mapped()),
                      nullptr, kNow),
               std::invalid_argument);
  EXPECT_TRUE(claims_.empty());
}

TEST_F(EnrollmentTest, ADeliveredNoticeLeavesTheQueue) {
  Intake controller("right");
  EnrollmentOutcome outcome = enroll(example_device(), example_site(controller.origin(), "right"),
                                     "BLD30/2/361", peers(mapped()), queue_.get(), kNow);
  EXPECT_EQ(outcome.notice, NoticeOutcome::delivered) << outcome.delivery.detail;
  EXPECT_EQ(outcome.exit_status(), exit_code::ok);
  EXPECT_TRUE(queue_->pending().empty());
  auto requests = controller.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path(), "/.well-known/tte/devices");
  auto notice = DeviceNotice::from_json(requests[0].body, IdPolicy::operational);
  ASSERT_TRUE(notice.ok()) << testing::describe(notice);
  const StateObject state = mapped_state();
  EXPECT_EQ(notice->urn, state.urn);  // the MotherShip's word, not the label's
  EXPECT_EQ(notice->fingerprint, state.fingerprint);
  EXPECT_EQ(notice->otp, example_device().otp());
  EXPECT_EQ(notice->mothership.view(), "tte-00000A.net");
  EXPECT_EQ(notice->description, "BLD30/2/361");
}

TEST_F(EnrollmentTest, ANoticeForAControllerThatIsDownWaitsForTheNextRound) {
  ClosedPort down;
  EnrollmentOutcome outcome = enroll(example_device(), example_site(down.origin(), "right"), "",
                                     peers(mapped()), queue_.get(), kNow);
  EXPECT_TRUE(outcome.mapped());
  EXPECT_EQ(outcome.notice, NoticeOutcome::queued);
  EXPECT_EQ(outcome.exit_status(), exit_code::ok);  // mapped; the notice will follow
  EXPECT_FALSE(outcome.delivery.detail.empty());
  auto waiting = queue_->pending();
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].queued_at, kNow);
  EXPECT_EQ(waiting[0].attempts, 1);
  EXPECT_EQ(waiting[0].last_error, outcome.delivery.detail);

  DeliveryRound still_down = deliver_pending(*queue_, peers(mapped()).intake);
  EXPECT_EQ(still_down.waiting, 1);
  EXPECT_EQ(still_down.exit_status(), exit_code::ok);
  ASSERT_EQ(still_down.notices.size(), 1u);
  EXPECT_EQ(still_down.notices[0].delivery, Delivery::transient);
  EXPECT_EQ(still_down.notices[0].attempts, 2);
  EXPECT_EQ(still_down.notices[0].devid, "abcdef01");

  // The Controller came back elsewhere: the new address is used and remembered.
  Intake controller("right");
  Retarget moved;
  moved.url = controller.origin();
  DeliveryRound delivered = deliver_pending(*queue_, peers(mapped()).intake, moved);
  EXPECT_EQ(delivered.delivered, 1);
  EXPECT_EQ(delivered.exit_status(), exit_code::ok);
  ASSERT_EQ(delivered.notices.size(), 1u);
  EXPECT_EQ(delivered.notices[0].controller, controller.origin());
  EXPECT_EQ(delivered.notices[0].attempts, 3);
  EXPECT_TRUE(queue_->pending().empty());
  EXPECT_EQ(controller.requests().size(), 1u);
}

// Retargeting names whose notices it changes: another Controller's queued
// notices (each with its Device's OTP) keep their own intake.
TEST_F(EnrollmentTest, ARetargetForOneIntakeLeavesTheOtherSitesNoticesAlone) {
  ClosedPort first, second;
  const NoticeTarget a{first.origin(), "right", ""}, b{second.origin(), "right", ""};
  const DeviceNotice notice{mapped_state().urn,
                            mapped_state().fingerprint,
                            mapped_state().dev_id,
                            example_device().otp(),
                            example_device().ms_id().host(),
                            "",
                            std::nullopt};
  queue_->add(a, notice, kNow);
  queue_->add(b, notice, kNow);
  Intake moved_here("right");
  Retarget moved;
  moved.url = moved_here.origin();
  moved.only_for = first.origin();
  DeliveryRound round = deliver_pending(*queue_, peers(mapped()).intake, moved);
  EXPECT_EQ(round.delivered, 1);
  EXPECT_EQ(round.waiting, 1);
  auto left = queue_->pending();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].target.url, second.origin());
  EXPECT_EQ(moved_here.requests().size(), 1u);
}

TEST_F(EnrollmentTest, ARefusedNoticeIsKeptUntilItsTokenIsFixed) {
  Intake controller("right");
  EnrollmentOutcome outcome = enroll(example_device(), example_site(controller.origin(), "wrong"),
                                     "", peers(mapped()), queue_.get(), kNow);
  EXPECT_TRUE(outcome.mapped());
  EXPECT_EQ(outcome.notice, NoticeOutcome::refused);
  EXPECT_EQ(outcome.delivery.detail, "wrong intake token");
  EXPECT_EQ(outcome.exit_status(), exit_code::notice_refused);
  ASSERT_EQ(queue_->pending().size(), 1u);

  DeliveryRound again = deliver_pending(*queue_, peers(mapped()).intake);
  EXPECT_EQ(again.refused, 1);
  EXPECT_EQ(again.exit_status(), exit_code::notice_refused);
  ASSERT_EQ(again.notices.size(), 1u);
  EXPECT_EQ(again.notices[0].delivery, Delivery::refused);
  EXPECT_EQ(again.notices[0].detail, "wrong intake token");

  Retarget fixed;
  fixed.token = "right";
  DeliveryRound delivered = deliver_pending(*queue_, peers(mapped()).intake, fixed);
  EXPECT_EQ(delivered.delivered, 1);
  EXPECT_EQ(delivered.refused, 0);
  EXPECT_TRUE(queue_->pending().empty());
}

TEST_F(EnrollmentTest, AnUnreadableQueuedNoticeCountsAsRefusedAndStays) {
  ClosedPort down;
  enroll(example_device(), example_site(down.origin(), ""), "", peers(mapped()), queue_.get(),
         kNow);
  {
    sqlite::Database db(dir_ + "/notices.db", sqlite::Database::Mode::read_write);
    db.exec_or_throw("UPDATE notices SET notice = '{}'");
  }
  DeliveryRound round = deliver_pending(*queue_, peers(mapped()).intake);
  EXPECT_EQ(round.refused, 1);
  EXPECT_TRUE(round.notices.empty());
  EXPECT_EQ(round.exit_status(), exit_code::notice_refused);
  auto kept = queue_->pending();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].last_error, "the queued notice is unreadable");
}

TEST(EnrollmentNames, AreTheOnesTheCommandLinePrints) {
  EXPECT_STREQ(notice_outcome_name(NoticeOutcome::none), "none");
  EXPECT_STREQ(notice_outcome_name(NoticeOutcome::delivered), "delivered");
  EXPECT_STREQ(notice_outcome_name(NoticeOutcome::queued), "queued");
  EXPECT_STREQ(notice_outcome_name(NoticeOutcome::refused), "refused");
  EXPECT_STREQ(queued_outcome_name(Delivery::delivered), "delivered");
  EXPECT_STREQ(queued_outcome_name(Delivery::transient), "waiting");
  EXPECT_STREQ(queued_outcome_name(Delivery::refused), "refused");
}

TEST_F(EnrollmentTest, ABoxIsAnnouncedInBatchesOfAThousandWithEachDevicesOwnOtp) {
  BatchIntake controller(true);
  const BoxUrl box = example_box(2500);
  std::vector<std::size_t> progress;
  BoxEnrollmentOutcome outcome = enroll_box(
      box, example_site(controller.origin(), "t"), "Hall 2", box_peers(box), queue_.get(), kNow,
      [&](std::size_t done, std::size_t) { progress.push_back(done); });
  ASSERT_TRUE(outcome.mapped());
  EXPECT_EQ(outcome.exit_status(), exit_code::ok);
  EXPECT_EQ(outcome.delivered, 2500u);
  EXPECT_FALSE(outcome.fell_back);
  EXPECT_EQ(progress, (std::vector<std::size_t>{1000, 2000, 2500}));
  auto requests = controller.requests();
  ASSERT_EQ(requests.size(), 3u);
  auto last = nlohmann::json::parse(requests[2].body)["notices"];
  ASSERT_EQ(last.size(), 500u);
  EXPECT_EQ(last[499]["devid"], "000019c3");  // 0x1000 + 2499
  EXPECT_EQ(last[499]["otp"],
            std::string(box_device_otp(box.key(), DevId(0x19c3)).value().to_string().view()));
  EXPECT_EQ(last[499]["description"], "Hall 2");
  EXPECT_TRUE(queue_->pending().empty());
  ASSERT_EQ(claims_.size(), 1u);  // one claim for the whole box
}

TEST_F(EnrollmentTest, AnOlderControllerWithoutTheBatchIntakeGetsTheNoticesOneByOne) {
  BatchIntake controller(false);
  const BoxUrl box = example_box(3);
  BoxEnrollmentOutcome outcome = enroll_box(box, example_site(controller.origin(), "t"), "",
                                            box_peers(box), queue_.get(), kNow);
  EXPECT_TRUE(outcome.fell_back);
  EXPECT_EQ(outcome.delivered, 3u);
  auto requests = controller.requests();
  ASSERT_EQ(requests.size(), 4u);  // the batch (404), then each notice
  EXPECT_EQ(requests[1].path(), "/.well-known/tte/devices");
  EXPECT_TRUE(queue_->pending().empty());
}

TEST_F(EnrollmentTest, NoticesTheControllerRefusedAreNamedAndKept) {
  BatchIntake controller(true, {"00001001"});
  const BoxUrl box = example_box(3);
  BoxEnrollmentOutcome outcome = enroll_box(box, example_site(controller.origin(), "t"), "",
                                            box_peers(box), queue_.get(), kNow);
  EXPECT_EQ(outcome.refused, 1u);
  EXPECT_EQ(outcome.delivery[1].delivery, Delivery::refused);
  EXPECT_EQ(outcome.delivery[1].detail, "clash");
  EXPECT_EQ(outcome.exit_status(), exit_code::some_notices_refused);
  ASSERT_EQ(queue_->pending().size(), 1u);
  EXPECT_EQ(queue_->pending()[0].box, "00001000+3");
}

TEST_F(EnrollmentTest, AUsedBoxQueuesNothing) {
  BatchIntake controller(true);
  const BoxUrl box = example_box(3);
  Peers peers = box_peers(box);
  peers.claim_box = [](const BoxUrl&, const ClaimRequest&) {
    BoxAnswer used;
    used.verdict = Verdict::already_used;
    used.status = 409;
    return used;
  };
  BoxEnrollmentOutcome outcome =
      enroll_box(box, example_site(controller.origin(), "t"), "", peers, queue_.get(), kNow);
  EXPECT_EQ(outcome.exit_status(), exit_code::already_used);
  EXPECT_TRUE(queue_->pending().empty());
  EXPECT_TRUE(controller.requests().empty());
}

TEST_F(EnrollmentTest, QueuedBoxNoticesAreSentInBatchesSingleOnesAlone) {
  const BoxUrl box = example_box(1500);
  {
    ClosedPort down;
    BoxEnrollmentOutcome outcome =
        enroll_box(box, example_site(down.origin(), "t"), "", box_peers(box), queue_.get(), kNow);
    EXPECT_EQ(outcome.queued, 1500u);
    EXPECT_EQ(outcome.exit_status(), exit_code::ok);
  }
  BatchIntake controller(true);
  queue_->add(
      NoticeTarget{controller.origin(), "t", ""},
      DeviceNotice{mapped_state().urn, *mapped_state().fingerprint, mapped_state().dev_id,
                   example_device().otp(), example_device().ms_id().host(), "", std::nullopt},
      kNow);
  Retarget moved;
  moved.url = controller.origin();
  DeliveryRound round = deliver_pending(*queue_, peers(mapped()).intake, moved);
  EXPECT_EQ(round.delivered, 1501);
  EXPECT_EQ(round.refused, 0);
  auto requests = controller.requests();
  ASSERT_EQ(requests.size(), 3u);  // the single notice, then 1000 + 500
  EXPECT_EQ(requests[0].path(), "/.well-known/tte/devices");
  EXPECT_EQ(requests[1].path(), "/.well-known/tte/devices/batch");
  EXPECT_TRUE(queue_->pending().empty());
}

}  // namespace
}  // namespace tte::introducer
