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

#include "box_plan.hpp"
#include "tte/hex.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/labels/label.hpp"
#include "tte/manual_code.hpp"
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
  ProgressBar(bool enabled, std::size_t total, const char* what = "minting")
      : enabled_(enabled), total_(total), what_(what), started_(Clock::now()) {}
  void update(std::size_t done, bool last = false) {
    if (!enabled_) return;
    double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (seconds < 1.0) return;  // batches shorter than a second draw nothing
    const int width = 30;
    int filled = static_cast<int>(width * done / std::max<std::size_t>(total_, 1));
    double rate = done / std::max(seconds, 1e-9);
    double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %zu/%zu %.0f/s ETA %.0fs ", what_,
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 static_cast<int>(100 * done / std::max<std::size_t>(total_, 1)), done, total_,
                 rate, eta);
    if (last) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::size_t total_;
  const char* what_;
  Clock::time_point started_;
};

// Work cut into chunks that worker threads take in turn; `done` counts finished
// items for the progress bar.
struct Chunks {
  explicit Chunks(std::size_t chunks) : count(chunks) {}
  const std::size_t count;
  std::atomic<std::size_t> next{0}, done{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;

  std::optional<std::size_t> take() {
    if (failed) return std::nullopt;
    std::size_t chunk = next.fetch_add(1);
    if (chunk >= count) return std::nullopt;
    return chunk;
  }
};

// Runs `worker` (which takes chunks until none is left) on up to `threads`
// threads, drawing `bar` until `total` items are done. Returns the first
// failure's message, or nothing.
std::optional<std::string> run_workers(int threads, Chunks& chunks, std::size_t total,
                                       ProgressBar& bar, const std::function<void()>& worker) {
  auto guarded = [&] {
    try {
      worker();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(chunks.failure_mutex);
      if (!chunks.failed.exchange(true)) chunks.failure = e.what();
    }
  };
  threads =
      static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), chunks.count));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(guarded);
  while (chunks.done.load() < total && !chunks.failed) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(200));  // the bar's refresh, not a wait for work
    bar.update(chunks.done.load());
  }
  for (auto& t : pool)
    t.join();
  if (chunks.failed) return chunks.failure;
  bar.update(total, true);
  return std::nullopt;
}

std::string hex_of(ByteView bytes) {
  std::string text(2 * bytes.size(), '\0');
  write_hex_lower(bytes, text.data());
  return text;
}

// Bulk enrollment (draft §5.2; docs/protocol.md §13.2): a box's file, with its key.
std::string box_json(const BoxUrl& box, const std::vector<PlannedDevice>& plan,
                     const PlannedBox& planned) {
  nlohmann::ordered_json json;
  json["format"] = "tte-box/1";
  json["first"] = devid_text(planned.first);
  json["count"] = planned.count;
  json["last"] = devid_text(planned.last());
  json["box_url"] = std::string(box.to_string().view());
  json["box_key"] = hex_of(box.key());
  json["manual_code"] = std::string(manual_code::encode_box(box).view());
  json["mothership"] = std::string(box.ms_id().host().view());
  nlohmann::ordered_json devids = nlohmann::ordered_json::array();
  for (std::size_t i = planned.index; i < planned.index + planned.count; ++i)
    devids.push_back(devid_text(plan[i].dev_id));
  json["devids"] = devids;
  return json.dump(2) + "\n";
}

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
  if (options.box_size != 0) {
    auto boxes = plan_boxes(plan[0].dev_id, count, options.box_size);
    if (!boxes.ok()) throw UsageError(std::string("--box: ") + boxes.error().message);
    // A box URL names a range: its Devices' Dev IDs must follow each other.
    for (std::size_t i = 1; i < plan.size(); ++i) {
      if (plan[i].dev_id.value() != plan[i - 1].dev_id.value() + 1) {
        throw UsageError("--box: the batch's Dev IDs are not consecutive at " +
                         devid_text(plan[i].dev_id));
      }
    }
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

  // Boxes: each a fresh random key, from which its Devices' OTPs derive.
  std::vector<PlannedBox> boxes;
  std::vector<BoxUrl> box_urls;
  if (options.box_size != 0) {
    auto planned = plan_boxes(plan[0].dev_id, total, options.box_size);
    if (!planned.ok()) throw UsageError(std::string("--box: ") + planned.error().message);
    boxes = std::move(planned.value());
    make_private_directory(partial + "/boxes");
    box_urls.reserve(boxes.size());
    for (const auto& box : boxes) {
      BoxUrl::Key key{};
      if (!random_bytes(key).ok()) throw StartupError("the CSPRNG failed");
      auto url = BoxUrl::make(mothership.ms_id, box.first, box.count, key);
      if (!url.ok())
        throw StartupError("box " + devid_text(box.first) + ": " + url.error().message);
      box_urls.push_back(url.value());
    }
  }
  auto otp_of = [&](std::size_t i) {
    if (boxes.empty()) return random_otp();
    auto otp = box_device_otp(box_urls[i / options.box_size].key(), plan[i].dev_id);
    if (!otp.ok()) throw StartupError(std::string("cannot derive an OTP: ") + otp.error().message);
    return otp.value();
  };

  std::vector<mothership::FactoryRecord> records(
      total, mothership::FactoryRecord{DevId(0), plan[0].urn, std::nullopt, Otp(0)});
  const std::size_t chunk_size = options.labels ? kSheetChunk : 256;
  Chunks devices((total + chunk_size - 1) / chunk_size);

  auto worker = [&] {
    DeviceKeyMaker keys;
    while (auto chunk = devices.take()) {
      std::optional<labels::PdfSheet> sheet;
      if (options.labels) sheet.emplace();
      for (std::size_t i = *chunk * chunk_size;
           i < std::min(total, (*chunk + 1) * chunk_size) && !devices.failed; ++i) {
        const PlannedDevice& planned = plan[i];
        MintedDevice device{planned.dev_id, planned.urn,  otp_of(i),
                            std::nullopt,   std::nullopt, std::nullopt};
        if (!random_bytes(device.entropy_seed).ok()) throw StartupError("the CSPRNG failed");
        device.led_frame = options.led_frame;
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
        devices.done.fetch_add(1);
      }
      if (sheet) {
        char name[64];
        std::snprintf(name, sizeof name, "/labels/sheet-%04zu.pdf", *chunk + 1);
        write_new(partial + name, sheet->finish(), 0600);
      }
    }
  };

  // A box's file and label carry its key: secrets like the Devices' labels.
  Chunks box_chunks((boxes.size() + kSheetChunk - 1) / kSheetChunk);
  auto box_worker = [&] {
    while (auto chunk = box_chunks.take()) {
      std::optional<labels::PdfSheet> sheet;
      if (options.labels) sheet.emplace();
      for (std::size_t b = *chunk * kSheetChunk;
           b < std::min(boxes.size(), (*chunk + 1) * kSheetChunk) && !box_chunks.failed; ++b) {
        const std::string base = partial + "/boxes/" + devid_text(boxes[b].first);
        write_new(base + ".json", box_json(box_urls[b], plan, boxes[b]), 0600);
        if (options.labels) {
          auto label = labels::make_box_label(box_urls[b], options.qr_level);
          if (!label.ok())
            throw StartupError(std::string("cannot make a QR code: ") + label.error().message);
          write_new(base + ".png",
                    labels::encode_png(labels::render_png(*label, options.module_px)), 0600);
          write_new(base + ".svg", labels::render_svg(*label), 0600);
          sheet->add(*label);
        }
        box_chunks.done.fetch_add(1);
      }
      if (sheet) {
        char name[64];
        std::snprintf(name, sizeof name, "/boxes/sheet-%04zu.pdf", *chunk + 1);
        write_new(partial + name, sheet->finish(), 0600);
      }
    }
  };

  const int thread_count =
      options.threads > 0 ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ProgressBar bar(options.progress, total);
  auto failure = run_workers(thread_count, devices, total, bar, worker);
  if (!failure && !boxes.empty()) {
    ProgressBar box_bar(options.progress, boxes.size(), "boxes");
    failure = run_workers(thread_count, box_chunks, boxes.size(), box_bar, box_worker);
  }
  if (failure) {
    fs::remove_all(partial);
    throw StartupError(*failure + "; nothing was minted");
  }

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
  if (!boxes.empty()) {
    std::string index = "first,count,label\n";  // no secrets: the keys stay in boxes/
    for (const auto& box : boxes) {
      const std::string base = devid_text(box.first);
      index += base + "," + std::to_string(box.count) + "," +
               (options.labels ? "boxes/" + base + ".png" : "") + "\n";
    }
    write_new(partial + "/boxes.csv", index, 0644);
  }
  BatchResult result;
  result.count = total;
  result.boxes = boxes.size();
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
  if (!boxes.empty()) {
    batch["box_size"] = options.box_size;
    batch["boxes"] = boxes.size();
  }
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
