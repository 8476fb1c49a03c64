#include "mothership_server.hpp"

#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace tte::mothership {
namespace {

std::int64_t wall_clock() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string database_of(const MotherShipServerOptions& o, const DataDir& dir) {
  return o.database.empty() ? dir.database_location().to_string() : o.database;
}

// The MS ID, once the database is known to be this data directory's (the same
// otp.key and DTLS key: data_dir.hpp).
MsId stored_ms_id(const DataDir& dir, const MotherShipServerOptions& o, Logger& logger) {
  Store probe(database_of(o, dir), Store::Access::read_only);
  check_database_matches(dir, probe);
  if (auto owner = probe.owns_tables(); owner.ok() && owner.value()) {
    logger.warning(
        "this instance connects as the owner of the MotherShip's tables (or a member of its "
        "role): the grants that keep the audit log append-only do not bind it; connect as the "
        "application role (docs/operations.md, Roles)",
        {{"database", probe.path()}});
  }
  const MsId stored = probe.ms_id(o.id_policy);
  if (o.ms_id && !(*o.ms_id == stored)) {
    throw StartupError("--ms-id " + std::to_string(o.ms_id->value()) + " is not the MS ID " +
                       probe.path() + " was made with (" + std::to_string(stored.value()) + ", " +
                       std::string(stored.host().view()) +
                       "): an MS ID is fixed by init; drop --ms-id (and ms-id = in the "
                       "configuration) or give that one");
  }
  return stored;
}

}  // namespace

OtpGuard make_otp_guard(const GuessPolicy& policy, bool shared, ReadPool& reads,
                        ReadPool& throttle_connections, Logger& logger) {
  OtpGuard::Load load = [&reads](DevId dev_id) -> std::optional<ThrottleState> {
    auto store = reads.try_acquire();
    if (!store) return std::nullopt;
    auto stored = (*store)->throttle(dev_id);
    if (!stored.ok()) return std::nullopt;
    return stored.value();
  };
  if (!shared) return OtpGuard(policy, load);
  OtpGuard::SharedBuckets buckets;
  // While the database is down every check fails alike: one line a second.
  auto repeats = std::make_shared<RepeatLimiter>();
  buckets.take = [&throttle_connections, &logger, policy, repeats](
                     DevId dev_id, std::int64_t now) -> std::optional<Slot> {
    auto store = throttle_connections.try_acquire();
    if (!store) return std::nullopt;
    auto slot = (*store)->take_shared_slot(dev_id, now, policy);
    if (!slot.ok()) {
      if (auto left_out = repeats->admit()) {
        logger.error("cannot take an OTP check slot",
                     {{"error", (*store)->last_error()}, {"left_out", *left_out}});
      }
      return std::nullopt;
    }
    return slot.value();
  };
  buckets.give_back = [&throttle_connections, &logger, policy, repeats](DevId dev_id,
                                                                        std::int64_t now) {
    auto store = throttle_connections.try_acquire();
    // A slot not given back stays spent: the owner waits one interval more.
    if (!store || !(*store)->give_back_shared_slot(dev_id, now, policy).ok()) {
      if (auto left_out = repeats->admit()) {
        logger.warning(
            "cannot give an OTP check slot back",
            {{"devid", std::string(dev_id.to_string().view())}, {"left_out", *left_out}});
      }
    }
  };
  buckets.take_box = [&throttle_connections, &logger, policy, repeats](
                         DevId first, std::uint32_t count,
                         std::int64_t now) -> std::optional<std::vector<Slot>> {
    auto store = throttle_connections.try_acquire();
    if (!store) return std::nullopt;
    auto slots = (*store)->take_shared_slots(first, count, now, policy);
    if (!slots.ok()) {
      if (auto left_out = repeats->admit()) {
        logger.error("cannot take a box's OTP check slots",
                     {{"error", (*store)->last_error()}, {"left_out", *left_out}});
      }
      return std::nullopt;
    }
    return std::move(slots.value());
  };
  buckets.give_back_box = [&throttle_connections, &logger, policy, repeats](
                              DevId first, const std::vector<bool>& which, std::int64_t now) {
    auto store = throttle_connections.try_acquire();
    if (!store || !(*store)->give_back_shared_slots(first, which, now, policy).ok()) {
      if (auto left_out = repeats->admit()) {
        logger.warning("cannot give a box's OTP check slots back",
                       {{"first", std::string(first.to_string().view())}, {"left_out", *left_out}});
      }
    }
  };
  return OtpGuard(policy, load, std::move(buckets));
}

namespace {

CoapServerOptions coap_options(const MotherShipServerOptions& o, const DataDir& dir) {
  CoapServerOptions coap;
  coap.address = o.coaps.address;
  coap.port = o.coaps.port;
  coap.certificate_file = dir.path("dtls.crt");
  coap.private_key_file = dir.path("dtls.key");
  coap.database = database_of(o, dir);
  coap.half_open = o.half_open;
  coap.retry_after = o.max_age;
  coap.psk_sealer = dir.psk_sealer();
  return coap;
}

http::ListenerOptions listener(const MotherShipServerOptions& o, const DataDir& dir,
                               const std::string& name, const ListenAddress& address) {
  http::ListenerOptions options = o.listener_budget;
  options.name = name;
  options.address = address.address;
  options.port = address.port;
  options.tls = http::TlsFiles{dir.resolve(o.https_cert), dir.resolve(o.https_key)};
  return options;
}

}  // namespace

MotherShipServer::MotherShipServer(MotherShipServerOptions options, Logger& logger)
    : options_(std::move(options)),
      dir_(options_.data_dir),
      logger_(logger),
      ms_id_(stored_ms_id(dir_, options_, logger_)),
      host_(ms_id_.host().view()),
      hasher_(dir_.otp_hasher()),
      writer_(database_of(options_, dir_), hasher_, wall_clock, logger_,
              WriterOptions{512, dir_.psk_sealer()}),
      reads_(database_of(options_, dir_)),
      throttle_connections_(database_of(options_, dir_), Store::Access::read_write),
      clients_(options_.client_failure_limit),
      guard_(make_otp_guard(options_.guess_policy, writer_.shared(), reads_, throttle_connections_,
                            logger_)),
      public_api_(PublicApiOptions{ms_id_.host(), hasher_, wall_clock}, reads_, writer_, clients_,
                  guard_),
      admin_api_(dir_.admin_token(),
                 MotherShipIdentity{ms_id_, dir_.dtls_fingerprint(), options_.coaps_public}, reads_,
                 writer_, wall_clock, options_.guess_policy),
      coap_(coap_options(options_, dir_), writer_, logger_),
      http_(logger_, options_.threads),
      https_address_(options_.https),
      admin_address_(options_.admin),
      coaps_address_{options_.coaps.address, coap_.port()} {
  https_address_.port = http_.listen(listener(options_, dir_, "https", https_address_),
                                     [this](http::Request request, http::Respond respond) {
                                       public_api_.handle(request, std::move(respond));
                                     });
  http::ListenerOptions admin = listener(options_, dir_, "admin", admin_address_);
  admin.body_limit = AdminApi::kRecordsBodyLimit;  // bulk device records
  // The token is checked before a body is read; only then may it be large.
  admin.admit = [this](const http::Request& head) { return admin_api_.admit(head); };
  admin_address_.port = http_.listen(admin, [this](http::Request request, http::Respond respond) {
    admin_api_.handle(request, std::move(respond));
  });
}

MotherShipServer::~MotherShipServer() {
  shut_down();
}

void MotherShipServer::start() {
  coap_.start();
  started_ = true;
  logger_.info("serving",
               {{"host", host_},
                {"database", DatabaseLocation::parse(database_of(options_, dir_))->redacted()},
                {"https", https_address_.to_string()},
                {"coaps", coaps_address_.to_string()},
                {"admin", admin_address_.to_string()}});
}

void MotherShipServer::run_until_signal() {
  http_.run_until_signal();
  shut_down();
}

void MotherShipServer::stop() {
  http_.stop();
}

void MotherShipServer::shut_down() {
  if (!started_) return;
  started_ = false;
  coap_.stop();
  writer_.stop();
  logger_.info("stopped", {{"transactions", static_cast<std::int64_t>(writer_.transactions())},
                           {"jobs", static_cast<std::int64_t>(writer_.jobs())}});
}

std::string MotherShipServer::ready_line() const {
  return nlohmann::ordered_json{{"ready", true},
                                {"host", host_},
                                {"https", https_address_.to_string()},
                                {"coaps", coaps_address_.to_string()},
                                {"admin", admin_address_.to_string()},
                                {"pid", static_cast<int>(::getpid())}}
      .dump();
}

}  // namespace tte::mothership
