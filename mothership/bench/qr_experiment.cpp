// tte-qr-experiment: the draft's open question "Does QR encoding of L work out
// better than H?", answered by measurement. Labels for random devices are made
// at each level, all printed the same size (the code with its quiet zone 400 px
// wide, as a camera would see a label of one size at one distance), damaged,
// and read back with zbarimg, an independent decoder. Prints a Markdown table.
//
//   tte-qr-experiment [--trials N] [--seed S]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "tte/labels/label.hpp"
#include "tte/platform/command_line.hpp"

namespace tte::bench {
namespace {

using labels::Image;
using labels::QrLevel;

constexpr int kCodePixels = 400;  // the code, quiet zone included

// The code alone, quiet zone included, scaled to size x size pixels.
Image render(const labels::QrCode& qr, int size) {
  const int modules = qr.size + 2 * labels::kQuietZone;
  Image image(size, size);
  for (int y = 0; y < size; ++y) {
    int my = y * modules / size - labels::kQuietZone;
    for (int x = 0; x < size; ++x) {
      int mx = x * modules / size - labels::kQuietZone;
      if (mx >= 0 && my >= 0 && mx < qr.size && my < qr.size && qr.is_dark(mx, my))
        image.at(x, y) = 0;
    }
  }
  return image;
}

// Dark or light round blots until `fraction` of the code area (inside the
// quiet zone) is covered: dirt, scratches, glare.
Image blots(Image image, const labels::QrCode& qr, double fraction, std::mt19937& random) {
  const int modules = qr.size + 2 * labels::kQuietZone;
  const int start = image.width * labels::kQuietZone / modules, end = image.width - start;
  std::vector<char> covered(static_cast<std::size_t>(image.width * image.height), 0);
  const double target = fraction * (end - start) * (end - start);
  double area = 0;
  std::uniform_int_distribution<int> position(start, end - 1);
  std::uniform_real_distribution<double> radius(1.5, 4.0);  // in modules
  const double module = static_cast<double>(image.width) / modules;
  while (area < target) {
    int cx = position(random), cy = position(random);
    double r = radius(random) * module;
    std::uint8_t color = random() % 2 ? 0 : 255;
    for (int y = std::max(start, static_cast<int>(cy - r));
         y <= std::min(end - 1, static_cast<int>(cy + r)); ++y) {
      for (int x = std::max(start, static_cast<int>(cx - r));
           x <= std::min(end - 1, static_cast<int>(cx + r)); ++x) {
        if ((x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) continue;
        image.at(x, y) = color;
        char& c = covered[static_cast<std::size_t>(y * image.width + x)];
        if (!c) {
          c = 1;
          area += 1;
          if (area >= target) break;
        }
      }
      if (area >= target) break;
    }
  }
  return image;
}

Image blur(const Image& image, double sigma) {
  int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> kernel(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0;
  for (int i = -radius; i <= radius; ++i)
    sum += kernel[static_cast<std::size_t>(i + radius)] = std::exp(-i * i / (2 * sigma * sigma));
  for (auto& k : kernel)
    k /= sum;
  auto pass = [&](const Image& in, bool horizontal) {
    Image out(in.width, in.height);
    for (int y = 0; y < in.height; ++y) {
      for (int x = 0; x < in.width; ++x) {
        double value = 0;
        for (int i = -radius; i <= radius; ++i) {
          int sx = horizontal ? std::clamp(x + i, 0, in.width - 1) : x;
          int sy = horizontal ? y : std::clamp(y + i, 0, in.height - 1);
          value += kernel[static_cast<std::size_t>(i + radius)] * in.at(sx, sy);
        }
        out.at(x, y) = static_cast<std::uint8_t>(std::lround(value));
      }
    }
    return out;
  };
  return pass(pass(image, true), false);
}

Image rotate(const Image& image, double degrees) {
  const double a = degrees * M_PI / 180, c = std::cos(a), s = std::sin(a);
  const int side = static_cast<int>(std::ceil(image.width * (std::fabs(c) + std::fabs(s)))) + 8;
  Image out(side, side);
  const double half_in = image.width / 2.0, half_out = side / 2.0;
  for (int y = 0; y < side; ++y) {
    for (int x = 0; x < side; ++x) {
      double dx = x - half_out, dy = y - half_out;
      double sx = c * dx + s * dy + half_in, sy = -s * dx + c * dy + half_in;
      int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= image.width || y0 + 1 >= image.height) continue;
      double fx = sx - x0, fy = sy - y0;
      double v = (1 - fx) * (1 - fy) * image.at(x0, y0) + fx * (1 - fy) * image.at(x0 + 1, y0) +
                 (1 - fx) * fy * image.at(x0, y0 + 1) + fx * fy * image.at(x0 + 1, y0 + 1);
      out.at(x, y) = static_cast<std::uint8_t>(std::lround(v));
    }
  }
  return out;
}

// Box-filtered down to size x size: a camera too far away, or a cheap one.
Image downscale(const Image& image, int size) {
  Image out(size, size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      int x0 = x * image.width / size, x1 = std::max(x0 + 1, (x + 1) * image.width / size);
      int y0 = y * image.height / size, y1 = std::max(y0 + 1, (y + 1) * image.height / size);
      long sum = 0;
      for (int yy = y0; yy < y1; ++yy) {
        for (int xx = x0; xx < x1; ++xx)
          sum += image.at(xx, yy);
      }
      out.at(x, y) = static_cast<std::uint8_t>(sum / ((x1 - x0) * (y1 - y0)));
    }
  }
  return out;
}

struct Damage {
  std::string column;
  std::function<Image(const Image&, const labels::QrCode&, std::mt19937&)> apply;
};

}  // namespace

int main(int argc, char** argv) {
  CommandLine cli(
      "tte-qr-experiment [--trials N] [--seed S]",
      "Measures how often zbarimg reads damaged TTE labels at QR levels L, M, Q and H.");
  cli.option("trials", "N", "devices per level and damage", "40")
      .option("seed", "S", "random seed", "20261128");
  try {
    if (!cli.parse(std::vector<std::string>(argv + 1, argv + argc))) return 0;
    const int trials = std::stoi(cli.require("trials"));
    const unsigned seed = static_cast<unsigned>(std::stoul(cli.require("seed")));
    std::vector<Damage> damages = {
        {"none", [](const Image& i, const labels::QrCode&, std::mt19937&) { return i; }},
    };
    for (double f : {0.05, 0.10, 0.15, 0.20, 0.25, 0.30}) {
      damages.push_back({"blots " + std::to_string(static_cast<int>(f * 100)) + "%",
                         [f](const Image& i, const labels::QrCode& q, std::mt19937& r) {
                           return blots(i, q, f, r);
                         }});
    }
    for (double sigma : {4.0, 6.0, 8.0}) {
      damages.push_back({"blur σ " + std::to_string(static_cast<int>(sigma)) + " px",
                         [sigma](const Image& i, const labels::QrCode&, std::mt19937&) {
                           return blur(i, sigma);
                         }});
    }
    for (double degrees : {10.0, 30.0, 45.0}) {
      damages.push_back({"rotated " + std::to_string(static_cast<int>(degrees)) + "°",
                         [degrees](const Image& i, const labels::QrCode&, std::mt19937&) {
                           return rotate(i, degrees);
                         }});
    }
    for (int size : {100, 80, 64, 56}) {
      damages.push_back({std::to_string(size) + " px wide",
                         [size](const Image& i, const labels::QrCode&, std::mt19937&) {
                           return downscale(i, size);
                         }});
    }
    damages.push_back({"photo: 5% blots, σ 2 px, 15°, 160 px",
                       [](const Image& i, const labels::QrCode& q, std::mt19937& r) {
                         return downscale(rotate(blur(blots(i, q, 0.05, r), 2.0), 15.0), 160);
                       }});

    const QrLevel levels[] = {QrLevel::L, QrLevel::M, QrLevel::Q, QrLevel::H};
    std::string scratch = "/tmp/tte-qr-experiment-" + std::to_string(::getpid());
    std::filesystem::create_directories(scratch);
    // results[level][damage] = decoded count
    std::vector<std::vector<std::atomic<int>>> decoded(4);
    for (auto& row : decoded)
      row = std::vector<std::atomic<int>>(damages.size());
    std::vector<labels::QrCode> codes(4);
    std::atomic<int> next{0};
    const int jobs = 4 * static_cast<int>(damages.size()) * trials;
    auto worker = [&](int id) {
      while (true) {
        int job = next.fetch_add(1);
        if (job >= jobs) return;
        int level = job % 4, damage = (job / 4) % static_cast<int>(damages.size()),
            trial = job / 4 / static_cast<int>(damages.size());
        std::mt19937 random(seed + static_cast<unsigned>(trial));
        std::mt19937_64 device_random(seed * 31 + static_cast<unsigned>(trial));
        EnrollmentUrl device(
            MsId::from_value(static_cast<std::uint32_t>(device_random() & 0xffffff) | 1,
                             IdPolicy::operational)
                .value(),
            DevId(static_cast<std::uint32_t>(device_random())), Otp(device_random()));
        auto label = labels::make_label(device, levels[level]);
        Image damaged = damages[static_cast<std::size_t>(damage)].apply(
            render(label->qr, kCodePixels), label->qr, random);
        std::string file = scratch + "/" + std::to_string(id) + ".png";
        test::write_text(file, labels::encode_png(damaged));
        auto result = test::run({"zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", file});
        if (result.out == label->url + "\n")
          decoded[static_cast<std::size_t>(level)][static_cast<std::size_t>(damage)]++;
        if (trial == 0 && damage == 0) codes[static_cast<std::size_t>(level)] = label->qr;
      }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t)
      threads.emplace_back(worker, t);
    for (auto& t : threads)
      t.join();
    std::filesystem::remove_all(scratch);

    std::printf("| level | version | modules (with quiet zone) | module at 30 mm |");
    for (const auto& d : damages)
      std::printf(" %s |", d.column.c_str());
    std::printf("\n|---|---|---|---|");
    for (std::size_t i = 0; i < damages.size(); ++i)
      std::printf("---|");
    std::printf("\n");
    for (int level = 0; level < 4; ++level) {
      const auto& qr = codes[static_cast<std::size_t>(level)];
      const int modules = qr.size + 2 * labels::kQuietZone;
      std::printf("| %s | %d | %d x %d (%d x %d) | %.2f mm |", labels::qr_level_name(levels[level]),
                  qr.version, qr.size, qr.size, modules, modules, 30.0 / modules);
      for (std::size_t d = 0; d < damages.size(); ++d) {
        std::printf(" %d%% |", 100 * decoded[static_cast<std::size_t>(level)][d].load() / trials);
      }
      std::printf("\n");
    }
    std::printf(
        "\n%d devices per cell (seed %u); the code with its quiet zone is 400 px wide before "
        "damage.\n",
        trials, seed);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-qr-experiment: %s\n", e.what());
    return 1;
  }
}

}  // namespace tte::bench

int main(int argc, char** argv) {
  return tte::bench::main(argc, argv);
}
