// tte-firmware-image: one Device's firmware image from the generic firmware
// (build/firmware/.../tte-device-fw.elf) and the Device's provisioning image
// (tte-mothership manufacture's <devid>.nv), with the image's settings. What
// ./tte firmware image runs; see docs/device.md, "The image".
#include <openssl/sha.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tte/device/settings.hpp"
#include "tte/ip_address.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"
#include "tte/provisioning_image.hpp"

extern char** environ;

namespace tte::device {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Where the firmware keeps the Device's data: its sections, as its ELF says.
struct Region {
  std::uint32_t address = 0, size = 0;
};

std::uint32_t little_endian(const std::string& bytes, std::size_t at, std::size_t size) {
  if (at > bytes.size() || size > bytes.size() - at)
    throw StartupError("the firmware's ELF is cut short");
  std::uint32_t value = 0;
  for (std::size_t i = size; i-- > 0;)
    value = value << 8 | static_cast<std::uint8_t>(bytes[at + i]);
  return value;
}

// The named section of a 32-bit little-endian ELF file (the generic firmware).
Region elf_section(const std::string& elf, const std::string& path, const std::string& name) {
  if (elf.size() < 52 ||
      elf.compare(0, 4,
                  "\x7f"
                  "ELF") != 0 ||
      elf[4] != 1 || elf[5] != 1)
    throw StartupError(path + " is not a 32-bit little-endian ELF file (the firmware)");
  const std::uint32_t table = little_endian(elf, 0x20, 4), entry = little_endian(elf, 0x2e, 2),
                      count = little_endian(elf, 0x30, 2), names = little_endian(elf, 0x32, 2);
  if (entry < 40 || names >= count) throw StartupError(path + ": no section table");
  const std::uint32_t strings = little_endian(elf, table + std::size_t{names} * entry + 16, 4);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t header = table + std::size_t{i} * entry;
    const std::size_t at = strings + std::size_t{little_endian(elf, header, 4)};
    if (at >= elf.size()) continue;
    if (elf.compare(at, name.size() + 1, name.c_str(), name.size() + 1) == 0)
      return Region{little_endian(elf, header + 12, 4), little_endian(elf, header + 20, 4)};
  }
  throw StartupError(path + " has no " + name +
                     " section: not the TTE firmware (tte-device-fw.elf)");
}

std::string sha256_hex(const std::string& bytes) {
  std::uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string hex;
  for (std::uint8_t b : digest) {
    static const char kDigits[] = "0123456789abcdef";
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

// Files the tool writes on the way, removed however it ends.
struct Scratch {
  std::vector<std::string> paths;
  ~Scratch() {
    std::error_code ignored;
    for (const auto& path : paths)
      fs::remove(path, ignored);
  }
};

std::string bytes_text(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// Runs argv; throws with its exit status and its message when it fails.
void run_tool(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0)
    throw StartupError(argv[0] + ": cannot run it (" + std::strerror(errno) + ")");
  int status = 0;
  if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw StartupError(argv[0] + " failed on " + argv.back());
}

// Seconds as decimal digits with at most three after a point ("2", "0.5"), to milliseconds.
std::uint64_t milliseconds(const CommandLine& cli, const char* name) {
  const std::string text = cli.require(name);
  std::uint64_t value = 0;
  int fraction_digits = -1;  // none seen after a point; -1 before it
  bool digits = false;
  for (char c : text) {
    if (c == '.' && fraction_digits < 0) {
      fraction_digits = 0;
    } else if (c >= '0' && c <= '9' && fraction_digits < 3 && value <= 86'400'000) {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      digits = true;
      if (fraction_digits >= 0) ++fraction_digits;
    } else {
      value = 0;
      digits = false;
      break;
    }
  }
  for (int i = fraction_digits < 0 ? 0 : fraction_digits; i < 3; ++i)
    value *= 10;
  if (!digits || value == 0 || value > 86'400'000) {
    throw UsageError(std::string("--") + name +
                     ": seconds, more than 0 and at most a day, e.g. 30 or 0.5");
  }
  return value;
}

std::array<std::uint8_t, 4> ipv4(const std::string& text, const char* option) {
  auto ip = IpAddress::parse(text);
  if (!ip.ok() || ip->family() != IpAddress::Family::v4)
    throw UsageError(std::string("--") + option +
                     ": an IPv4 address (the firmware's lwIP is IPv4 only)");
  std::array<std::uint8_t, 4> bytes{};
  for (std::size_t i = 0; i < 4; ++i)
    bytes[i] = ip->bytes()[i];
  return bytes;
}

DeviceSettings settings_from(const CommandLine& cli) {
  DeviceSettings settings;
  if (!parse_profile(cli.require("profile").c_str(), &settings.profile))
    throw UsageError("--profile: light or switch");
  if (settings.profile == Profile::sensor)
    throw UsageError("--profile sensor: the MPS2 board has no thermometer (light or switch)");
  if (auto address = cli.get("address")) {
    const auto slash = address->find('/');
    if (slash == std::string::npos) throw UsageError("--address: IP/PREFIX, e.g. 10.0.2.15/24");
    settings.dhcp = false;
    settings.address = ipv4(address->substr(0, slash), "address");
    const std::string prefix = address->substr(slash + 1);
    char* end = nullptr;
    const long bits = std::strtol(prefix.c_str(), &end, 10);
    if (prefix.empty() || *end != '\0' || bits < 1 || bits > 32)
      throw UsageError("--address: a prefix length of 1-32 after the /");
    settings.prefix_length = static_cast<std::uint8_t>(bits);
    settings.gateway = ipv4(cli.require("gateway"), "gateway");
  } else if (cli.get("gateway")) {
    throw UsageError("--gateway goes with --address (without them the Device uses DHCP)");
  }
  settings.retry_min = milliseconds(cli, "retry-min");
  settings.retry_max = milliseconds(cli, "retry-max");
  if (settings.retry_max < settings.retry_min)
    throw UsageError("--retry-max is less than --retry-min");
  settings.lifetime = static_cast<std::uint32_t>(milliseconds(cli, "lifetime") / 1000);
  auto checked = settings.check();
  if (!checked.ok())
    throw UsageError(std::string("--") + checked.error().field + ": " + checked.error().message);
  return settings;
}

// The provisioning image: given, or the one the factory wrote beside the bundle.
std::string provisioning_path(const CommandLine& cli, std::string* bundle_urn) {
  if (cli.get("image") && cli.get("bundle")) throw UsageError("--bundle or --image, not both");
  if (auto image = cli.get("image")) return *image;
  auto bundle = cli.get("bundle");
  if (!bundle)
    throw UsageError("which Device: --bundle DIR/<devid>.json or --image DIR/<devid>.nv");
  Json json = Json::parse(read_file(*bundle), nullptr, false);
  if (json.is_discarded() || json.value("format", "") != "tte-bundle/1")
    throw StartupError(*bundle + " is not a TTE bundle (tte-bundle/1)");
  *bundle_urn = json.value("urn", "");
  const fs::path image = fs::path(*bundle).replace_extension(".nv");
  if (!fs::exists(image)) {
    throw StartupError(image.string() +
                       " is missing: tte-mothership manufacture writes it beside the bundle");
  }
  return image.string();
}

int run(int argc, char** argv) {
  CommandLine cli(
      "tte-firmware-image --firmware ELF (--bundle FILE | --image FILE) --out DIR [options]",
      "Makes one Device's firmware image for the MPS2-AN385 board: the generic networked firmware "
      "with the Device's provisioning image (from the factory: the .nv file beside its bundle) at "
      "0x0002E000 and the image's settings at 0x0002E800. Writes DIR/tte-device.elf (for QEMU and "
      "debuggers), DIR/tte-device.bin (a flat binary from address 0 to flash), DIR/image.json "
      "(what is in it) and DIR/mps2/images.txt (for an MPS2+ board's USB drive). A Device's NV "
      "memory, under QEMU, is DIR/nv.bin; an image made again for the same Device keeps it.");
  cli.option("firmware", "ELF", "the generic firmware, tte-device-fw.elf")
      .option("bundle", "FILE",
              "the Device's bundle (<devid>.json from tte-mothership manufacture)")
      .option("image", "FILE", "the Device's provisioning image (<devid>.nv), instead of --bundle")
      .option("out", "DIR", "where the image goes (created)")
      .option("profile", "NAME", "light or switch", "light")
      .option("address", "IP/PREFIX", "a static address (default: DHCP)")
      .option("gateway", "IP", "with --address: the default gateway")
      .option("retry-min", "SECONDS", "first retry wait (the protocol's 30 s)", "30")
      .option("retry-max", "SECONDS", "longest retry wait", "3600")
      .option("lifetime", "SECONDS", "registration lifetime asked of the Controller", "3600")
      .option("objcopy", "PROGRAM", "binutils' objcopy for ARM", "arm-none-eabi-objcopy")
      .flag("json", "print what was made as JSON")
      .epilog(
          "Exit status: 0 made; 1 a failure the message explains (an unreadable or corrupt "
          "provisioning image, a directory holding another Device's image); 2 wrong usage.");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!cli.parse(args)) return 0;
  // The image holds the Device's private key and entropy seed: nothing it writes is for others,
  // from the first byte (objcopy creates its files with the process's umask).
  ::umask(077);

  const std::string firmware = cli.require("firmware"), out = cli.require("out");
  const DeviceSettings settings = settings_from(cli);
  std::string bundle_urn;
  const std::string image_path = provisioning_path(cli, &bundle_urn);
  if (!fs::exists(firmware))
    throw StartupError(firmware + " is missing: ./tte firmware builds the generic firmware");

  const std::string image_text = read_file(image_path);
  std::vector<std::uint8_t> image(image_text.begin(), image_text.end());
  auto decoded = ProvisioningImage::decode(image, IdPolicy::allow_example);
  if (!decoded.ok())
    throw StartupError(image_path + ": " + decoded.error().message + " (" +
                       errc_name(decoded.error().code) + ")");
  // The length the image says it has (bytes 6-7) is all the file may hold.
  const std::size_t image_size = static_cast<std::size_t>(image[6]) << 8 | image[7];
  if (image.size() != image_size) {
    throw StartupError(image_path + " holds " + std::to_string(image.size() - image_size) +
                       " bytes after its provisioning image: not a file tte-mothership wrote");
  }
  if (!bundle_urn.empty() && decoded->urn.view() != bundle_urn)
    throw StartupError(image_path + " is another Device's (" + std::string(decoded->urn.view()) +
                       ") than its bundle's (" + bundle_urn + ")");
  if (decoded->entropy_seed.empty())
    throw StartupError(image_path +
                       " is a version 1 image, with no entropy seed: mint the Device again");
  // A PSK Device (docs/protocol.md 13.3) has its factory PSK instead of a key.
  if (decoded->private_key.empty() && decoded->factory_psk.empty())
    throw StartupError(image_path +
                       " holds no private key (the Device made its own): this firmware "
                       "takes its key from the factory");
  const std::string elf_bytes = read_file(firmware);
  const Region provisioning_region = elf_section(elf_bytes, firmware, ".tte_provisioning");
  const Region settings_region = elf_section(elf_bytes, firmware, ".tte_settings");
  if (image.size() > provisioning_region.size || settings_region.size < DeviceSettings::kSize)
    throw StartupError(image_path + " does not fit the firmware's provisioning region");

  // A directory holds one Device: its NV memory (nv.bin) must not pass to another.
  const fs::path dir(out);
  const fs::path manifest = dir / "image.json";
  const std::string devid(decoded->dev_id.to_string().view()), urn(decoded->urn.view());
  if (!fs::exists(manifest) && fs::exists(dir / "nv.bin")) {
    throw StartupError(out +
                       " holds a Device's NV memory (nv.bin) but no image.json saying whose: "
                       "choose another directory");
  }
  if (fs::exists(manifest)) {
    Json previous = Json::parse(read_file(manifest.string()), nullptr, false);
    if (previous.is_discarded() || previous.value("urn", "") != urn) {
      throw StartupError(out + " holds another Device's image (" +
                         (previous.is_discarded() ? std::string("unreadable image.json")
                                                  : previous.value("urn", "?")) +
                         "): choose another directory");
    }
  }
  fs::create_directories(dir / "mps2");

  std::vector<std::uint8_t> provisioning(provisioning_region.size, 0xff);
  std::copy(image.begin(), image.end(), provisioning.begin());
  std::vector<std::uint8_t> settings_block(settings_region.size, 0xff);
  auto encoded = settings.encode(MutableByteView(settings_block.data(), DeviceSettings::kSize));
  if (!encoded.ok()) throw StartupError(std::string("settings: ") + encoded.error().message);
  const std::string provisioning_file = (dir / ".provisioning.bin").string();
  const std::string settings_file = (dir / ".settings.bin").string();
  const std::string elf = (dir / "tte-device.elf").string(),
                    bin = (dir / "tte-device.bin").string();
  Scratch scratch{{provisioning_file, settings_file, elf + ".part", bin + ".part"}};
  write_file_atomic(provisioning_file, bytes_text(provisioning), 0600);
  write_file_atomic(settings_file, bytes_text(settings_block), 0600);

  // The ELF with the two regions filled in, then the flat binary from it.
  const std::string objcopy = cli.require("objcopy");
  run_tool({objcopy, "--update-section", ".tte_provisioning=" + provisioning_file,
            "--update-section", ".tte_settings=" + settings_file, firmware, elf + ".part"});
  run_tool({objcopy, "-O", "binary", "--gap-fill", "0xff", elf + ".part", bin + ".part"});
  // objcopy keeps the input's execute bits: these are data, and as secret as the bundle.
  ::chmod((elf + ".part").c_str(), 0600);
  ::chmod((bin + ".part").c_str(), 0600);
  fs::rename(elf + ".part", elf);
  fs::rename(bin + ".part", bin);

  write_file_atomic((dir / "mps2" / "images.txt").string(),
                    "TITLE: Versatile Express Images Configuration File\n"
                    "[IMAGES]\n"
                    "TOTALIMAGES: 1\n"
                    "IMAGE0ADDRESS: 0x00000000\n"
                    "IMAGE0FILE: \\SOFTWARE\\TTEDEV.BIN\n",
                    0644);

  char provisioning_address[16], settings_address[16];
  std::snprintf(provisioning_address, sizeof provisioning_address, "0x%08x",
                static_cast<unsigned>(provisioning_region.address));
  std::snprintf(settings_address, sizeof settings_address, "0x%08x",
                static_cast<unsigned>(settings_region.address));
  Json made{
      {"devid", devid},
      {"urn", urn},
      {"mothership", std::string(decoded->mothership.to_string().view())},
      {"mothership_fingerprint", std::string(decoded->mothership_fingerprint.to_string().view())},
      {"profile", profile_name(settings.profile)},
      {"network",
       settings.dhcp ? "dhcp" : cli.require("address") + " via " + cli.require("gateway")},
      {"retry_min_ms", settings.retry_min},
      {"retry_max_ms", settings.retry_max},
      {"lifetime", settings.lifetime},
      {"provisioning_image", {{"address", provisioning_address}, {"size", image.size()}}},
      {"settings", {{"address", settings_address}, {"size", DeviceSettings::kSize}}},
      {"elf", elf},
      {"bin", bin},
      {"bin_size", fs::file_size(bin)},
      {"nv", (dir / "nv.bin").string()},
      {"elf_sha256", sha256_hex(read_file(elf))}};
  write_file_atomic(manifest.string(), made.dump(2) + "\n", 0644);
  if (cli.has("json")) {
    std::cout << made.dump() << "\n";
  } else {
    std::cout << "image of " << urn << " (Dev ID " << devid << ", "
              << profile_name(settings.profile) << ", "
              << (settings.dhcp ? std::string("DHCP") : cli.require("address")) << ") in " << out
              << ":\n  " << elf << "\n  " << bin << " (" << fs::file_size(bin)
              << " bytes, flash at 0x00000000)\n  provisioning image at " << provisioning_address
              << ", settings at " << settings_address << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace tte::device

int main(int argc, char** argv) {
  try {
    return tte::device::run(argc, argv);
  } catch (const tte::UsageError& e) {
    const std::string message = e.what();
    std::fprintf(
        stderr, "tte-firmware-image: %s%s\n", message.c_str(),
        message.find("--help") == std::string::npos ? " (see tte-firmware-image --help)" : "");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-firmware-image: %s\n", e.what());
    return 1;
  }
}
