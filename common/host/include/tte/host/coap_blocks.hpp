// Block-wise transfers (RFC 7959) for the CoAPS servers: the Block1/Block2
// option values, the part of a representation a Block2 request asks for, and
// the reassembly of a request body sent in Block1 blocks, within a budget.
// Pure: the server's libcoap adapter hands in option values, payloads, an
// opaque peer id and the time; nothing here reads a socket or a clock.
#ifndef TTE_HOST_COAP_BLOCKS_HPP
#define TTE_HOST_COAP_BLOCKS_HPP

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tte::coap_blocks {

// The largest block TTE's servers send or take (SZX 6): a block, its options
// and the DTLS record fit one datagram of libcoap's 1152-byte DTLS MTU.
inline constexpr unsigned kMaxSzx = 6;
inline constexpr std::size_t kMaxBlockSize = std::size_t{16} << kMaxSzx;

// NUM (up to 20 bits), M and SZX (block size 16 << SZX).
struct Block {
  std::uint32_t num = 0;
  bool more = false;
  unsigned szx = kMaxSzx;

  std::size_t size() const { return std::size_t{16} << szx; }
  std::size_t offset() const { return std::size_t{num} * size(); }
  bool operator==(const Block& other) const {
    return num == other.num && more == other.more && szx == other.szx;
  }
};

// The option's value as an unsigned integer (0-3 bytes on the wire). nullopt:
// SZX 7 (BERT, CoAP over TCP only) or a NUM past 20 bits: a 4.00 on UDP.
std::optional<Block> decode_block(std::uint32_t value);
std::uint32_t encode_block(const Block& block);

// What to send for a GET of a representation `body`: the whole of it when it
// fits one block and no block was asked for; otherwise the asked block (block
// 0 when none was asked) at the asked size or kMaxBlockSize, whichever is
// smaller, with the Block2 value for the answer. RFC 7959 section 2.4.
struct BodyPart {
  std::string_view data;
  std::optional<Block> block;  // the answer's Block2; nullopt: the whole body, no option
  std::size_t total = 0;       // Size2
};
// nullopt: the asked block starts past the end (answer 4.02 Bad Option).
std::optional<BodyPart> body_part(std::string_view body, std::optional<Block> asked);

// Reassembles request bodies sent in Block1 blocks (RFC 7959 section 2.5,
// atomic): each block but the last is answered 2.31 Continue, the last one
// hands the whole body to the handler. Blocks must come in order and, but the
// last, be full; a transfer idle past `idle_ms` is forgotten. At most
// `max_transfers` run at once: a new one then evicts the one idle longest.
class Block1Assembler {
 public:
  struct Limits {
    std::size_t max_body = 16 * 1024;
    std::size_t max_transfers = 256;
    std::int64_t idle_ms = 60000;
  };
  enum class Step {
    complete,    // `body` is the whole request body: run the handler
    more,        // answer 2.31 Continue with Block1 `block`
    incomplete,  // answer 4.08 Request Entity Incomplete (`reason` says why)
    too_large,   // answer 4.13 Request Entity Too Large with Size1 = max_body
    bad_block,   // answer 4.00: not a block this transfer can take (`reason`)
  };
  struct Outcome {
    Step step = Step::complete;
    Block block;       // to echo in the answer's Block1 (more and complete)
    std::string body;  // complete only
    const char* reason = "";
  };

  Block1Assembler() = default;
  explicit Block1Assembler(Limits limits) : limits_(limits) {}

  // One request: `block` nullopt when it has no Block1 option (a body in one
  // message, handed back at once). `peer`: an opaque id of the DTLS session;
  // `resource`: the request's path (and method) so that two transfers of one
  // peer do not mix. `size1`: the request's Size1 option, if any.
  Outcome add(std::uint64_t peer, std::string_view resource, std::optional<Block> block,
              std::string_view payload, std::optional<unsigned> content_format,
              std::optional<std::size_t> size1, std::int64_t now_ms);

  // The peer's session ended: its transfers are dropped.
  void forget(std::uint64_t peer);
  // Drops transfers idle past the limit; returns how many.
  std::size_t expire(std::int64_t now_ms);
  std::size_t transfers() const { return transfers_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  struct Transfer {
    std::string body;
    std::optional<unsigned> content_format;
    std::int64_t last_used_ms = 0;
  };
  using Key = std::pair<std::uint64_t, std::string>;
  Limits limits_;
  std::map<Key, Transfer> transfers_;
};

// A weak validator for a representation (RFC 7252 ETag, 4 bytes), so that a
// client fetching it block by block notices when it changed in between.
std::string etag_of(std::string_view body);

}  // namespace tte::coap_blocks

#endif  // TTE_HOST_COAP_BLOCKS_HPP
