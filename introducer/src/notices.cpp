#include "notices.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "tte/hex.hpp"
#include "tte/host/json_fields.hpp"
#include "tte/platform/data_directory.hpp"
#include "tte/platform/sqlite.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::introducer {

std::string intake_url(const std::string& notify_url) {
  std::string url = notify_url;
  std::size_t scheme = url.find("://");
  std::size_t path = scheme == std::string::npos ? std::string::npos : url.find('/', scheme + 3);
  if (path == std::string::npos) return url + "/.well-known/tte/devices";
  return url;
}

DeliveryReport interpret_delivery(const http::FetchResult& result) {
  DeliveryReport report;
  if (!result.ok()) {
    // A certificate the Introducer cannot trust will not become trustworthy by waiting.
    report.delivery = result.failure == http::FetchResult::Failure::tls ||
                              result.failure == http::FetchResult::Failure::url
                          ? Delivery::refused
                          : Delivery::transient;
    report.detail = result.error;
    return report;
  }
  report.status = result.response.status;
  if (report.status == 200 || report.status == 201) {
    report.delivery = Delivery::delivered;
    return report;
  }
  auto problem = Problem::from_json(result.response.body);
  report.detail = problem.ok() && !problem->detail.empty()
                      ? problem->detail
                      : "HTTP " + std::to_string(report.status);
  report.delivery =
      report.status >= 500 || report.status == 429 ? Delivery::transient : Delivery::refused;
  return report;
}

// Message 6 (draft §2, §3.3; docs/protocol.md §10): POST the notice to the Controller's intake.
DeliveryReport send_notice(const NoticeTarget& target, const DeviceNotice& notice,
                           http::ClientOptions client) {
  client.ca_file =
      target.ca_file.empty() ? std::nullopt : std::optional<std::string>(target.ca_file);
  http::Headers headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!target.token.empty()) headers.emplace_back("Authorization", "Bearer " + target.token);
  return interpret_delivery(
      http::fetch("POST", intake_url(target.url), headers, notice.to_json(), client));
}

std::string batch_intake_url(const std::string& notify_url) {
  return intake_url(notify_url) + "/batch";
}

bool lacks_batch_intake(const http::FetchResult& result) {
  return result.ok() && (result.response.status == 404 || result.response.status == 405);
}

// Message 6 in bulk (docs/protocol.md §10.2): the Controller's per-notice results.
std::vector<DeliveryReport> interpret_batch_delivery(const http::FetchResult& result,
                                                     std::size_t count) {
  if (!result.ok() || result.response.status != 200)
    return std::vector<DeliveryReport>(count, interpret_delivery(result));
  auto body = tte::json::parse_untrusted(result.response.body);
  const nlohmann::json* list = nullptr;
  if (!body.is_discarded() && body.is_object()) {
    auto it = body.find("results");
    if (it != body.end() && it->is_array() && it->size() == count) list = &*it;
  }
  if (!list) {
    DeliveryReport nonsense;
    nonsense.delivery = Delivery::transient;
    nonsense.status = 200;
    nonsense.detail = "the Controller's answer to the batch does not list every notice";
    return std::vector<DeliveryReport>(count, nonsense);
  }
  std::vector<DeliveryReport> reports;
  reports.reserve(count);
  for (const auto& item : *list) {
    DeliveryReport report;
    auto status = item.is_object() ? item.find("status") : item.end();
    report.status = item.is_object() && status != item.end() && status->is_number_integer()
                        ? status->get<int>()
                        : 0;
    if (report.status == 200 || report.status == 201) {
      report.delivery = Delivery::delivered;
    } else {
      report.delivery = report.status >= 500 || report.status == 429 || report.status == 0
                            ? Delivery::transient
                            : Delivery::refused;
      std::string detail;
      if (auto problem = item.find("problem"); problem != item.end() && problem->is_object() &&
                                               problem->contains("detail") &&
                                               (*problem)["detail"].is_string()) {
        detail = (*problem)["detail"].get<std::string>();
      }
      report.detail = detail.empty() ? "HTTP " + std::to_string(report.status) : detail;
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

BatchReport send_notice_batch(const NoticeTarget& target, const std::vector<DeviceNotice>& notices,
                              http::ClientOptions client) {
  client.ca_file =
      target.ca_file.empty() ? std::nullopt : std::optional<std::string>(target.ca_file);
  http::Headers headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  if (!target.token.empty()) headers.emplace_back("Authorization", "Bearer " + target.token);
  std::string body = "{\"notices\":[";
  for (std::size_t i = 0; i < notices.size(); ++i) {
    if (i > 0) body += ',';
    body += notices[i].to_json();
  }
  body += "]}";
  http::FetchResult result =
      http::fetch("POST", batch_intake_url(target.url), headers, body, client);
  BatchReport report;
  report.no_batch_intake = lacks_batch_intake(result);
  report.reports = interpret_batch_delivery(result, notices.size());
  return report;
}

namespace {
// 2: the box column; 3: sealed_psk (queues of older versions gain them when opened).
constexpr std::int64_t kSchemaVersion = 3;

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}
}  // namespace

const PskSealer& NoticeQueue::sealer() const {
  if (!sealer_) {
    sealer_ = DataDirectory(directory_, "", "").psk_sealer(PskSealer::Purpose::controller);
  }
  return *sealer_;
}

std::pair<std::string, std::optional<SealedPsk>> NoticeQueue::stored_form(
    const DeviceNotice& notice) {
  if (!notice.psk) return {notice.to_json(), std::nullopt};
  auto sealed = sealer().seal(notice.dev_id, *notice.psk);
  if (!sealed.ok()) throw StartupError("cannot seal the notice's PSK");
  DeviceNotice without = notice;
  without.psk.reset();
  return {without.to_json(), sealed.value()};
}

Result<DeviceNotice> NoticeQueue::notice_of(const QueuedNotice& queued) const {
  if (!queued.sealed_psk)
    return DeviceNotice::from_json(queued.notice_json, IdPolicy::allow_example);
  // A PSK Device's notice has no fingerprint: it parses only with its PSK back in.
  nlohmann::json json = tte::json::parse_untrusted(queued.notice_json);
  if (!json.is_object() || !json.contains("devid") || !json["devid"].is_string())
    return make_error(Errc::syntax, "the queued notice is unreadable");
  TTE_ASSIGN_OR_RETURN(DevId dev_id, DevId::parse(json["devid"].get<std::string>()));
  TTE_ASSIGN_OR_RETURN(Psk psk, sealer().unseal(dev_id, *queued.sealed_psk));
  std::string hex(2 * psk.size(), '0');
  write_hex_lower(psk, hex.data());
  json["psk"] = hex;
  auto notice = DeviceNotice::from_json(json.dump(), IdPolicy::allow_example);
  std::fill(hex.begin(), hex.end(), '0');
  psk.fill(0);
  return notice;
}

NoticeQueue::NoticeQueue(const std::string& path) : directory_(directory_of(path)) {
  mode_t previous = ::umask(077);  // the queue holds OTPs and tokens
  db_ = std::make_unique<sqlite::Database>(path, sqlite::Database::Mode::read_write_create);
  ::umask(previous);
  db_->exec_or_throw("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  auto version = db_->prepare("PRAGMA user_version");
  auto row = version.step();
  const std::int64_t found = row.ok() && row.value() ? version.column_int(0) : -1;
  auto tables = db_->prepare("SELECT count(*) FROM sqlite_master WHERE name = 'notices'");
  auto counted = tables.step();
  const bool has_table = counted.ok() && counted.value() && tables.column_int(0) > 0;
  if (found == 0 && !has_table) {
    db_->exec_or_throw(
        "BEGIN IMMEDIATE;"
        "CREATE TABLE notices (id INTEGER PRIMARY KEY, queued_at INTEGER NOT NULL, url TEXT NOT "
        "NULL,"
        " token TEXT NOT NULL, ca_file TEXT NOT NULL, notice TEXT NOT NULL, attempts INTEGER NOT "
        "NULL DEFAULT 0,"
        " last_error TEXT NOT NULL DEFAULT '', box TEXT NOT NULL DEFAULT '', sealed_psk BLOB);"
        "PRAGMA user_version = 3;"
        "COMMIT;");
  } else if ((found == 1 || found == 2) && has_table) {
    db_->exec_or_throw(
        std::string("BEGIN IMMEDIATE;") +
        (found == 1 ? "ALTER TABLE notices ADD COLUMN box TEXT NOT NULL DEFAULT '';" : "") +
        "ALTER TABLE notices ADD COLUMN sealed_psk BLOB;"
        "PRAGMA user_version = 3;"
        "COMMIT;");
  } else if (found != kSchemaVersion) {
    throw StartupError(path + " is not a notice queue this tte-introducer knows (schema " +
                       std::to_string(found) + ", expected " + std::to_string(kSchemaVersion) +
                       ")");
  }
}

NoticeQueue::~NoticeQueue() = default;

std::int64_t NoticeQueue::add(const NoticeTarget& target, const DeviceNotice& notice,
                              std::int64_t now) {
  auto insert = db_->prepare(
      "INSERT INTO notices (queued_at, url, token, ca_file, notice, sealed_psk) VALUES (?, ?, ?, "
      "?, ?, ?)");
  auto [json, sealed] = stored_form(notice);
  insert.bind(1, now)
      .bind(2, target.url)
      .bind(3, target.token)
      .bind(4, target.ca_file)
      .bind(5, json);
  if (sealed) {
    insert.bind_blob(6, ByteView(sealed->data(), sealed->size()));
  } else {
    insert.bind_null(6);
  }
  if (!insert.run().ok()) throw StartupError("cannot queue the notice: " + db_->error_message());
  return db_->last_insert_rowid();
}

std::vector<std::int64_t> NoticeQueue::add_box(const NoticeTarget& target, const std::string& box,
                                               const std::vector<DeviceNotice>& notices,
                                               std::int64_t now) {
  auto insert = db_->prepare(
      "INSERT INTO notices (queued_at, url, token, ca_file, notice, box, sealed_psk) VALUES (?, "
      "?, ?, ?, ?, ?, ?)");
  std::vector<std::int64_t> ids;
  ids.reserve(notices.size());
  if (!db_->exec("BEGIN IMMEDIATE").ok())
    throw StartupError("cannot queue the notices: " + db_->error_message());
  for (const DeviceNotice& notice : notices) {
    sqlite::ResetOnExit reset(insert);
    auto [json, sealed] = stored_form(notice);
    insert.bind(1, now)
        .bind(2, target.url)
        .bind(3, target.token)
        .bind(4, target.ca_file)
        .bind(5, json)
        .bind(6, box);
    if (sealed) {
      insert.bind_blob(7, ByteView(sealed->data(), sealed->size()));
    } else {
      insert.bind_null(7);
    }
    if (!insert.run().ok()) {
      const std::string error = db_->error_message();
      (void)db_->exec("ROLLBACK");
      throw StartupError("cannot queue the notices: " + error);
    }
    ids.push_back(db_->last_insert_rowid());
  }
  if (!db_->exec("COMMIT").ok()) {
    const std::string error = db_->error_message();
    (void)db_->exec("ROLLBACK");
    throw StartupError("cannot queue the notices: " + error);
  }
  return ids;
}

void NoticeQueue::record_batch(const std::vector<std::int64_t>& ids,
                               const std::vector<DeliveryReport>& reports) {
  auto erase = db_->prepare("DELETE FROM notices WHERE id = ?");
  auto failed =
      db_->prepare("UPDATE notices SET attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (!db_->exec("BEGIN IMMEDIATE").ok())
    throw StartupError("cannot update the queue: " + db_->error_message());
  bool ok = true;
  for (std::size_t i = 0; ok && i < ids.size() && i < reports.size(); ++i) {
    if (reports[i].delivery == Delivery::delivered) {
      sqlite::ResetOnExit reset(erase);
      erase.bind(1, ids[i]);
      ok = erase.run().ok();
    } else {
      sqlite::ResetOnExit reset(failed);
      failed.bind(1, reports[i].detail).bind(2, ids[i]);
      ok = failed.run().ok();
    }
  }
  if (!ok || !db_->exec("COMMIT").ok()) {
    const std::string error = db_->error_message();
    (void)db_->exec("ROLLBACK");
    throw StartupError("cannot update the queue: " + error);
  }
}

void NoticeQueue::retarget(std::int64_t id, const NoticeTarget& target) {
  auto update = db_->prepare("UPDATE notices SET url = ?, token = ?, ca_file = ? WHERE id = ?");
  update.bind(1, target.url).bind(2, target.token).bind(3, target.ca_file).bind(4, id);
  if (!update.run().ok()) throw StartupError("cannot update the queue: " + db_->error_message());
}

std::vector<QueuedNotice> NoticeQueue::pending() {
  auto select = db_->prepare(
      "SELECT id, queued_at, url, token, ca_file, notice, attempts, last_error, box, sealed_psk "
      "FROM notices ORDER BY id");
  std::vector<QueuedNotice> notices;
  while (true) {
    auto row = select.step();
    if (!row.ok()) throw StartupError("cannot read the queue: " + db_->error_message());
    if (!row.value()) break;
    notices.push_back(QueuedNotice{
        select.column_int(0), select.column_int(1),
        NoticeTarget{select.column_text(2), select.column_text(3), select.column_text(4)},
        select.column_text(5), static_cast<int>(select.column_int(6)), select.column_text(7),
        select.column_text(8)});
    if (!select.is_null(9)) {
      const ByteView sealed = select.column_blob_view(9);
      if (sealed.size() == std::tuple_size<SealedPsk>::value) {
        SealedPsk psk{};
        std::memcpy(psk.data(), sealed.data(), psk.size());
        notices.back().sealed_psk = psk;
      }
    }
  }
  return notices;
}

void NoticeQueue::remove(std::int64_t id) {
  auto statement = db_->prepare("DELETE FROM notices WHERE id = ?");
  statement.bind(1, id);
  if (!statement.run().ok()) throw StartupError("cannot update the queue: " + db_->error_message());
}

void NoticeQueue::record_failure(std::int64_t id, const std::string& error) {
  auto statement =
      db_->prepare("UPDATE notices SET attempts = attempts + 1, last_error = ? WHERE id = ?");
  statement.bind(1, error).bind(2, id);
  if (!statement.run().ok()) throw StartupError("cannot update the queue: " + db_->error_message());
}

}  // namespace tte::introducer
