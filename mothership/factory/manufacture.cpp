#include "manufacture.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tte/host/otp_crypto.hpp"
#include "tte/labels/label.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "urn_plan.hpp"

namespace tte::factory {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Devices per label sheet file: 50 pages of 18.
constexpr std::size_t kSheetChunk = 50 * labels::PdfSheet::kColumns * labels::PdfSheet::kRows;

// Creates a new file (never replacing one) and writes it whole.
void write_new(const std::string& path, const void* data, std::size_t size, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("cannot create " + path);
  // Exactly `mode`, whatever the umask: secrets 0600, the manifest 0644.
  if (::fchmod(fd, mode) != 0) {
    ::close(fd);
    throw_errno("cannot chmod " + path);
  }
  const char* bytes = static_cast<const char*>(data);
  std::size_t written = 0;
  while (written < size) {
    ssize_t n = ::write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      throw_errno("cannot write " + path);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) throw_errno("cannot write " + path);
}

void write_new(const std::string& path, const std::string& text, mode_t mode) {
  write_new(path, text.data(), text.size(), mode);
}

Otp random_otp() {
  std::uint8_t bytes[8];
  if (!random_bytes(bytes).ok()) throw StartupError("the CSPRNG failed");
  std::uint64_t value = 0;
  for (auto b : bytes)
    value = (value << 8) | b;
  return Otp(value);
}

std::string devid_text(DevId id) {
  return std::string(id.to_string().view());
}

class ProgressBar {
 public:
  ProgressBar(bool enabled, std::size_t total)
      : enabled_(enabled), total_(total), started_(Clock::now()) {}
  void update(std::size_t done, bool last = false) {
    if (!enabled_) return;
    double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (seconds < 1.0) return;  // batches shorter than a second draw nothing
    const int width = 30;
    int filled = static_cast<int>(width * done / std::max<std::size_t>(total_, 1));
    double rate = done / std::max(seconds, 1e-9);
    double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    std::fprintf(stderr, "\rminting [%s%s] %3d%% %zu/%zu %.0f/s ETA %.0fs ",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 static_cast<int>(100 * done / std::max<std::size_t>(total_, 1)), done, total_,
                 rate, eta);
    if (last) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::size_t total_;
  Clock::time_point started_;
};

}  // namespace

std::vector<PlannedDevice> plan_batch(const BatchOptions& options,
                                      const std::vector<DevicePublicKey>& public_keys,
                                      std::optional<DevId> next_free) {
  std::uint64_t count = options.count;
  if (!public_keys.empty()) {
    if (count != 0 && count != public_keys.size()) {
      throw UsageError("--count " + std::to_string(count) + " but " +
                       std::to_string(public_keys.size()) + " public keys were given");
    }
    count = public_keys.size();
  }
  if (count == 0) throw UsageError("--count is required (a batch has at least one device)");
  if (count > 0xffffffffull) throw UsageError("--count is too large");

  std::vector<PlannedDevice> plan;
  plan.reserve(count);
  bool urns_given = !public_keys.empty() && public_keys[0].urn.has_value();
  std::optional<UrnPlan> urns;
  if (!urns_given) {
    auto parsed =
        UrnPlan::parse(options.urn_spec, options.first_serial, options.serial_digits, count);
    if (!parsed.ok())
      throw UsageError(std::string("--urn ") + options.urn_spec + ": " + parsed.error().message);
    urns = parsed.value();
  }
  const bool dev_id_from_urn = urns && urns->dev_id_from_urn();
  std::uint64_t first_allocated = 0;
  if (!dev_id_from_urn) {
    std::optional<DevId> first = options.first_dev_id ? options.first_dev_id : next_free;
    if (!first) throw StartupError("the MotherShip has no free Dev ID left (ffffffff is taken)");
    first_allocated = first->value();
    if (count - 1 > 0xffffffffull - first_allocated) {
      throw UsageError("Dev IDs from " + devid_text(*first) + " run past ffffffff for " +
                       std::to_string(count) + " devices");
    }
  }
  std::set<std::uint32_t> dev_ids;
  std::set<std::string> urn_texts;
  for (std::uint64_t i = 0; i < count; ++i) {
    DevUrn urn = urns_given ? *public_keys[i].urn : urns->urn(i);
    DevId dev_id =
        dev_id_from_urn ? urns->dev_id(i) : DevId(static_cast<std::uint32_t>(first_allocated + i));
    if (!dev_ids.insert(dev_id.value()).second) {
      throw StartupError("two devices of the batch would share Dev ID " + devid_text(dev_id));
    }
    if (!urn_texts.insert(std::string(urn.view())).second) {
      throw StartupError("two devices of the batch would share URN " + std::string(urn.view()));
    }
    std::optional<Fingerprint> fingerprint;
    if (!public_keys.empty()) fingerprint = public_keys[i].fingerprint;
    plan.push_back(PlannedDevice{dev_id, urn, fingerprint});
  }
  return plan;
}

// Messages 1 and 2 (draft §2; docs/protocol.md §7): each Device's bundle and image, and its
// record for the MotherShip (through `store`).
BatchResult mint_batch(const BatchOptions& options, const MotherShipInfo& mothership,
                       const std::vector<PlannedDevice>& plan, const StoreRecords& store) {
  const auto started = Clock::now();
  const std::string out = options.out;
  const std::string partial = out + ".partial";
  if (file_exists(partial)) {
    throw StartupError(
        "an interrupted batch is in " + partial +
        ": if its first device is stored at the MotherShip (tte-mothership device show DEVID), "
        "rename it to " +
        out + "; otherwise delete it");
  }
  if (file_exists(out)) throw StartupError(out + " already exists; choose another --out");
  fs::create_directories(fs::path(partial).parent_path().empty() ? "."
                                                                 : fs::path(partial).parent_path());
  make_private_directory(partial);
  make_private_directory(partial + "/bundles");
  if (options.labels) make_private_directory(partial + "/labels");

  const std::int64_t now = std::time(nullptr);
  const std::size_t total = plan.size();
  std::vector<mothership::FactoryRecord> records(
      total, mothership::FactoryRecord{DevId(0), plan[0].urn, std::nullopt, Otp(0)});
  std::atomic<std::size_t> next_chunk{0}, done{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;
  const std::size_t chunk_size = options.labels ? kSheetChunk : 256;
  const std::size_t chunks = (total + chunk_size - 1) / chunk_size;

  auto worker = [&] {
    try {
      DeviceKeyMaker keys;
      while (!failed) {
        std::size_t chunk = next_chunk.fetch_add(1);
        if (chunk >= chunks) return;
        std::optional<labels::PdfSheet> sheet;
        if (options.labels) sheet.emplace();
        for (std::size_t i = chunk * chunk_size;
             i < std::min(total, (chunk + 1) * chunk_size) && !failed; ++i) {
          const PlannedDevice& planned = plan[i];
          MintedDevice device{planned.dev_id, planned.urn,  random_otp(),
                              std::nullopt,   std::nullopt, std::nullopt};
          if (!random_bytes(device.entropy_seed).ok()) throw StartupError("the CSPRNG failed");
          if (options.psk) {
            // A PSK Device: its factory PSK, and no key pair (docs/protocol.md §13.3).
            device.factory_psk.emplace();
            if (!random_bytes(*device.factory_psk).ok()) throw StartupError("the CSPRNG failed");
          } else if (planned.fingerprint) {
            device.fingerprint = *planned.fingerprint;
          } else {
            device.credentials = keys.make(std::string(planned.urn.view()), now);
            device.fingerprint = device.credentials->fingerprint;
          }
          const std::string base = devid_text(device.dev_id);
          write_new(partial + "/bundles/" + base + ".json", bundle_json(device, mothership), 0600);
          auto image = provisioning_image(device, mothership);
          write_new(partial + "/bundles/" + base + ".nv", image.data(), image.size(), 0600);
          if (options.labels) {
            auto label = labels::make_label(device.enrollment_url(mothership), options.qr_level);
            if (!label.ok())
              throw StartupError(std::string("cannot make a QR code: ") + label.error().message);
            // Labels carry the OTP: they are secrets until they are on the devices.
            write_new(partial + "/labels/" + base + ".png",
                      labels::encode_png(labels::render_png(*label, options.module_px)), 0600);
            write_new(partial + "/labels/" + base + ".svg", labels::render_svg(*label), 0600);
            sheet->add(*label);
          }
          records[i] = mothership::FactoryRecord{device.dev_id, device.urn, device.fingerprint,
                                                 device.otp, device.factory_psk};
          done.fetch_add(1);
        }
        if (sheet) {
          char name[64];
          std::snprintf(name, sizeof name, "/labels/sheet-%04zu.pdf", chunk + 1);
          write_new(partial + name, sheet->finish(), 0600);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failed.exchange(true)) failure = e.what();
    }
  };

  int thread_count = options.threads > 0
                         ? options.threads
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  thread_count =
      static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(thread_count), chunks));
  ProgressBar bar(options.progress, total);
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < thread_count; ++t)
      threads.emplace_back(worker);
    while (done.load() < total && !failed) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(200));  // the bar's refresh, not a wait for work
      bar.update(done.load());
    }
    for (auto& t : threads)
      t.join();
  }
  if (failed) {
    fs::remove_all(partial);
    throw StartupError(failure + "; nothing was minted");
  }
  bar.update(total, true);

  // Only a complete batch is stored, and only a stored batch becomes OUT.
  std::string manifest = "devid,urn,fingerprint,bundle,image,label_png,label_svg\n";
  for (const auto& record : records) {
    std::string base = devid_text(record.dev_id);
    manifest += base + "," + std::string(record.urn.view()) + "," +
                (record.fingerprint ? std::string(record.fingerprint->to_string().view()) : "") +
                ",bundles/" + base + ".json,bundles/" + base + ".nv," +
                (options.labels ? "labels/" + base + ".png,labels/" + base + ".svg" : ",") + "\n";
  }
  write_new(partial + "/manifest.csv", manifest, 0644);
  if (options.records_file) {
    std::string lines;
    for (const auto& record : records)
      lines += record.to_json() + "\n";
    write_new(partial + "/records.jsonl", lines, 0600);
  }
  BatchResult result;
  result.count = total;
  result.first = records.front().dev_id;
  result.last = records.back().dev_id;
  nlohmann::ordered_json batch{
      {"count", total},
      {"first_devid", devid_text(result.first)},
      {"last_devid", devid_text(result.last)},
      {"mothership", std::string(mothership.ms_id.host().view())},
      {"mothership_fingerprint", std::string(mothership.dtls_fingerprint.to_string().view())},
      {"coaps", std::string(mothership.coaps.to_string().view())},
      {"qr_level", options.labels ? labels::qr_level_name(options.qr_level) : "none"},
      {"keys", options.psk           ? "factory PSKs (no key pairs)"
               : plan[0].fingerprint ? "made on the devices"
                                     : "made by the factory"}};
  write_new(partial + "/batch.json", batch.dump(2) + "\n", 0644);
  // Everything on disk before the MotherShip learns of the devices.
  int dir = ::open(partial.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0 || ::syncfs(dir) != 0) throw_errno("cannot sync " + partial);
  ::close(dir);

  try {
    result.stored = store(records);
  } catch (...) {
    fs::remove_all(partial);
    throw;
  }
  fs::rename(partial, out);
  std::string parent = fs::path(out).has_parent_path() ? fs::path(out).parent_path().string() : ".";
  int parent_fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd >= 0) {
    ::fsync(parent_fd);
    ::close(parent_fd);
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace tte::factory
