#include "tte/host/coap_blocks.hpp"

#include <algorithm>

#include "tte/crc32.hpp"

namespace tte::coap_blocks {

std::optional<Block> decode_block(std::uint32_t value) {
  if (value > 0xFFFFFFu) return std::nullopt;  // more than 3 bytes
  Block block;
  block.szx = value & 0x7u;
  block.more = (value & 0x8u) != 0;
  block.num = value >> 4;
  if (block.szx == 7) return std::nullopt;
  return block;
}

std::uint32_t encode_block(const Block& block) {
  return (block.num << 4) | (block.more ? 0x8u : 0u) | (block.szx & 0x7u);
}

std::optional<BodyPart> body_part(std::string_view body, std::optional<Block> asked) {
  BodyPart part;
  part.total = body.size();
  if (!asked && body.size() <= kMaxBlockSize) {
    part.data = body;
    return part;
  }
  Block block = asked.value_or(Block{});
  // A smaller block than asked is allowed (RFC 7959 section 2.4); NUM then
  // counts blocks of the new size from the same offset.
  if (block.szx > kMaxSzx) {
    const std::size_t offset = block.offset();
    block.szx = kMaxSzx;
    block.num = static_cast<std::uint32_t>(offset / block.size());
  }
  const std::size_t offset = block.offset();
  if (offset > body.size() || (offset == body.size() && offset != 0)) return std::nullopt;
  const std::size_t length = std::min(block.size(), body.size() - offset);
  part.data = body.substr(offset, length);
  block.more = offset + length < body.size();
  part.block = block;
  return part;
}

Block1Assembler::Outcome Block1Assembler::add(std::uint64_t peer, std::string_view resource,
                                              std::optional<Block> block, std::string_view payload,
                                              std::optional<unsigned> content_format,
                                              std::optional<std::size_t> size1,
                                              std::int64_t now_ms) {
  Outcome outcome;
  Key key{peer, std::string(resource)};
  if (!block) {  // the whole body in one message; it ends any transfer it interrupts
    transfers_.erase(key);
    if (payload.size() > limits_.max_body) {
      outcome.step = Step::too_large;
      return outcome;
    }
    outcome.body = std::string(payload);
    return outcome;
  }
  outcome.block = *block;
  if ((size1 && *size1 > limits_.max_body) || block->offset() + payload.size() > limits_.max_body) {
    transfers_.erase(key);
    outcome.step = Step::too_large;
    return outcome;
  }
  if (block->more && payload.size() != block->size()) {
    transfers_.erase(key);
    outcome.step = Step::bad_block;
    outcome.reason = "a block before the last must be of its full size";
    return outcome;
  }
  auto it = transfers_.find(key);
  if (block->num == 0) {
    if (!block->more) {  // one block: no transfer to keep
      if (it != transfers_.end()) transfers_.erase(it);
      outcome.body = std::string(payload);
      return outcome;
    }
    if (it == transfers_.end()) {
      if (transfers_.size() >= limits_.max_transfers && limits_.max_transfers > 0) {
        auto oldest = std::min_element(transfers_.begin(), transfers_.end(),
                                       [](const auto& a, const auto& b) {
                                         return a.second.last_used_ms < b.second.last_used_ms;
                                       });
        transfers_.erase(oldest);
      }
      it = transfers_.emplace(std::move(key), Transfer{}).first;
    }
    it->second.body.assign(payload);
    it->second.content_format = content_format;
    it->second.last_used_ms = now_ms;
    outcome.step = Step::more;
    return outcome;
  }
  if (it == transfers_.end()) {
    outcome.step = Step::incomplete;
    outcome.reason = "no block 0 before this block (or the transfer expired)";
    return outcome;
  }
  Transfer& transfer = it->second;
  if (block->offset() != transfer.body.size()) {
    // A retransmitted block that was taken already: answer it again.
    if (block->offset() + payload.size() == transfer.body.size() && block->more) {
      transfer.last_used_ms = now_ms;
      outcome.step = Step::more;
      return outcome;
    }
    transfers_.erase(it);
    outcome.step = Step::incomplete;
    outcome.reason = "a block is missing (blocks must come in order)";
    return outcome;
  }
  if (transfer.content_format != content_format) {
    transfers_.erase(it);
    outcome.step = Step::incomplete;
    outcome.reason = "the Content-Format changed between blocks";
    return outcome;
  }
  transfer.body.append(payload);
  transfer.last_used_ms = now_ms;
  if (block->more) {
    outcome.step = Step::more;
    return outcome;
  }
  outcome.body = std::move(transfer.body);
  transfers_.erase(it);
  return outcome;
}

void Block1Assembler::forget(std::uint64_t peer) {
  auto it = transfers_.lower_bound(Key{peer, std::string()});
  while (it != transfers_.end() && it->first.first == peer)
    it = transfers_.erase(it);
}

std::size_t Block1Assembler::expire(std::int64_t now_ms) {
  std::size_t dropped = 0;
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (now_ms - it->second.last_used_ms > limits_.idle_ms) {
      it = transfers_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

std::string etag_of(std::string_view body) {
  const std::uint32_t crc =
      crc32(ByteView(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  std::string tag(4, '\0');
  for (int i = 0; i < 4; ++i)
    tag[static_cast<std::size_t>(i)] = static_cast<char>(crc >> (24 - 8 * i));
  return tag;
}

}  // namespace tte::coap_blocks
