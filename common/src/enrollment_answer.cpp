#include "tte/enrollment_answer.hpp"

#include "tte/cbor.hpp"

namespace tte {
namespace {

enum Key : std::uint64_t { kCip = 1, kCport = 2, kCfingerprint = 3, kCpsk = 4 };

Error answer_error(const char* message, const char* field) {
  return make_error(Errc::syntax, message, field);
}

}  // namespace

// Message 10 (draft §3.1; docs/protocol.md §8): the answer's CBOR.
Result<ByteView> EnrollmentAnswer::encode_cbor(MutableByteView out) const {
  cbor::Writer writer(out);
  writer.map(has_psk ? 4 : 3);
  writer.uint(kCip);
  writer.bytes(controller.ip.bytes());
  writer.uint(kCport);
  writer.uint(controller.port);
  writer.uint(kCfingerprint);
  writer.bytes(controller_fingerprint.bytes());
  if (has_psk) {
    writer.uint(kCpsk);
    writer.bytes(psk);
  }
  return writer.finish();
}

Result<EnrollmentAnswer> EnrollmentAnswer::decode_cbor(ByteView in) {
  cbor::Reader reader(in);
  TTE_ASSIGN_OR_RETURN(std::uint64_t pairs, reader.read_map_header());
  EnrollmentAnswer answer;
  bool seen[5] = {};
  for (std::uint64_t i = 0; i < pairs; ++i) {
    TTE_ASSIGN_OR_RETURN(cbor::Item key, reader.next());
    if (key.major != cbor::Major::unsigned_int || key.argument < kCip || key.argument > kCpsk) {
      // A key from a later version: skip its value. Keys are integers or
      // strings; a container or tag as a key is malformed for this message.
      if (key.major == cbor::Major::array || key.major == cbor::Major::map ||
          key.major == cbor::Major::tag) {
        return answer_error("enrollment answer keys must be integers or strings", "cbor");
      }
      TTE_TRY(reader.skip());
      continue;
    }
    if (seen[key.argument]) return make_error(Errc::duplicate, "key given twice", "cbor");
    seen[key.argument] = true;
    switch (key.argument) {
      case kCip: {
        TTE_ASSIGN_OR_RETURN(ByteView ip, reader.read_bytes());
        auto address = IpAddress::from_bytes(ip);
        if (!address.ok()) return answer_error("cip must be 4 or 16 bytes", "cip");
        answer.controller.ip = address.value();
        break;
      }
      case kCport: {
        TTE_ASSIGN_OR_RETURN(std::uint64_t port, reader.read_uint());
        if (port == 0 || port > 65535) {
          return make_error(Errc::out_of_range, "cport must be 1-65535", "cport");
        }
        answer.controller.port = static_cast<std::uint16_t>(port);
        break;
      }
      case kCfingerprint: {
        TTE_ASSIGN_OR_RETURN(ByteView bytes, reader.read_bytes());
        auto fingerprint = Fingerprint::from_bytes(bytes);
        if (!fingerprint.ok()) return answer_error("cfingerprint must be 32 bytes", "cfingerprint");
        answer.controller_fingerprint = fingerprint.value();
        break;
      }
      case kCpsk: {
        TTE_ASSIGN_OR_RETURN(ByteView bytes, reader.read_bytes());
        if (bytes.size() != kPskSize) return answer_error("cpsk must be 16 bytes", "cpsk");
        for (std::size_t b = 0; b < kPskSize; ++b)
          answer.psk[b] = bytes[b];
        answer.has_psk = true;
        break;
      }
    }
  }
  if (!reader.at_end()) return answer_error("trailing bytes after the enrollment answer", "cbor");
  if (!seen[kCip]) return make_error(Errc::missing, "cip is missing", "cip");
  if (!seen[kCport]) return make_error(Errc::missing, "cport is missing", "cport");
  if (!seen[kCfingerprint])
    return make_error(Errc::missing, "cfingerprint is missing", "cfingerprint");
  return answer;
}

}  // namespace tte
