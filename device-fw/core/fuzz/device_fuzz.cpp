// What reaches the Device from outside: its NV slots and seed slots (flash
// that may hold anything after a fault), its image's settings, MotherShip replies (code, Max-Age,
// payload) and requests to its resources. None may crash; a slot that decodes encodes back to the
// same bytes; a reply can only lead to a state the protocol allows, and only a 2.05 with a valid
// answer stores a Controller.
#include <cstdint>
#include <cstring>

#include "fake_hal.hpp"
#include "fuzz_check.hpp"
#include "tte/device/settings.hpp"

using namespace tte;
using namespace tte::device;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 1. An NV slot.
  if (size >= NvRecord::kSlotSize) {
    std::uint32_t sequence = 0;
    bool erased = false;
    StoredController controller;
    if (NvRecord::decode_slot(ByteView(data, NvRecord::kSlotSize), &sequence, &erased,
                              &controller)) {
      std::uint8_t again[NvRecord::kSlotSize];
      NvRecord::encode_slot(sequence, erased ? nullptr : &controller,
                            MutableByteView(again, sizeof again));
      std::uint32_t sequence2 = 0;
      bool erased2 = false;
      StoredController controller2;
      FUZZ_CHECK(
          NvRecord::decode_slot(ByteView(again, sizeof again), &sequence2, &erased2, &controller2));
      FUZZ_CHECK(sequence2 == sequence && erased2 == erased);
      FUZZ_CHECK(erased || controller2 == controller);
    }
  }
  // A seed slot: what decodes encodes back to the same bytes.
  if (size >= SeedRecord::kSlotSize) {
    std::uint32_t sequence = 0;
    SeedRecord::Seed seed;
    if (SeedRecord::decode_slot(ByteView(data, SeedRecord::kSlotSize), &sequence, &seed)) {
      std::uint8_t again[SeedRecord::kSlotSize];
      SeedRecord::encode_slot(sequence, seed, MutableByteView(again, sizeof again));
      FUZZ_CHECK(std::memcmp(again, data, sizeof again) == 0);
    }
  }
  // The settings block: what decodes passes check() and encodes back to the same bytes.
  if (size >= DeviceSettings::kSize) {
    auto settings = DeviceSettings::decode(ByteView(data, DeviceSettings::kSize));
    if (settings.ok()) {
      FUZZ_CHECK(settings->check().ok());
      std::uint8_t again[DeviceSettings::kSize];
      FUZZ_CHECK(settings->encode(MutableByteView(again, sizeof again)).ok());
      FUZZ_CHECK(std::memcmp(again, data, sizeof again) == 0);
    }
  }
  // 2. A MotherShip reply: [code][max-age: 4 bytes][payload...], then a request.
  if (size < 6) return 0;
  device::fake::Bench bench;
  bench.device.boot(0);
  MotherShipReply reply;
  reply.kind = data[0] % 7 == 0   ? MotherShipReply::Kind::no_answer
               : data[0] % 7 == 1 ? MotherShipReply::Kind::wrong_key
                                  : MotherShipReply::Kind::response;
  reply.code = data[1];
  reply.max_age = static_cast<std::uint32_t>(data[2]) << 24 |
                  static_cast<std::uint32_t>(data[3]) << 16 |
                  static_cast<std::uint32_t>(data[4]) << 8 | data[5];
  const std::size_t payload_size = size > 6 ? (size - 6) / 2 : 0;
  reply.payload = ByteView(data + 6, payload_size);
  bench.device.on_mothership_reply(1000, reply);
  const State state = bench.device.state();
  FUZZ_CHECK(state == State::connecting || state == State::waiting_for_mapping ||
             state == State::revoked);
  const bool answer_valid = reply.kind == MotherShipReply::Kind::response &&
                            reply.code == (2 << 5 | 5) &&
                            EnrollmentAnswer::decode_cbor(reply.payload).ok();
  FUZZ_CHECK((bench.device.controller() != nullptr) == answer_valid);
  FUZZ_CHECK((state == State::connecting) == answer_valid);
  if (state == State::waiting_for_mapping) {
    FUZZ_CHECK(bench.device.retry_at() > 1000);
    FUZZ_CHECK(bench.device.retry_at() <=
               1000 + std::max<Millis>(bench.timing.retry_max * 5 / 4,
                                       static_cast<Millis>(reply.max_age) * 1000));
  }
  // A request to a resource, with the rest as its path and payload.
  const std::uint8_t* rest = data + 6 + payload_size;
  const std::size_t rest_size = size - 6 - payload_size;
  char path[32] = {};
  std::size_t path_size = rest_size < sizeof path - 1 ? rest_size : sizeof path - 1;
  std::memcpy(path, rest, path_size);
  Reply answer = bench.device.on_request(2000, static_cast<Method>(data[0] % 5), path,
                                         ByteView(rest, rest_size));
  FUZZ_CHECK(answer.code != 0);
  FUZZ_CHECK(std::strlen(answer.text) < sizeof answer.text);
  return 0;
}
