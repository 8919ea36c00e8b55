// A virtio-blk request (virtio 1.2 §5.2.6) parsed out of a validated descriptor chain, with one
// error per rule. The chain is treated as a byte stream (§2.7.4: the device makes no assumption
// about how the driver splits it into descriptors): the 16-byte header is the start of the
// device-readable part, the status byte the last byte of the device-writable part.
#pragma once
#include <sys/uio.h>

#include <cstdint>
#include <expected>
#include <vector>

#include "devices/virtio/queue.h"

namespace xvm::devices::virtio::blk {

// Request types and status values (§5.2.6).
constexpr uint32_t kTypeIn = 0;
constexpr uint32_t kTypeOut = 1;
constexpr uint32_t kTypeFlush = 4;
constexpr uint32_t kTypeGetId = 8;
constexpr uint8_t kStatusOk = 0;
constexpr uint8_t kStatusIoErr = 1;
constexpr uint8_t kStatusUnsupp = 2;

constexpr uint64_t kSectorSize = 512;  // capacity and sector are in 512-byte units (§5.2.4)
constexpr uint64_t kHeaderSize = 16;   // le32 type, le32 reserved, le64 sector
constexpr uint64_t kIdBytes = 20;      // GET_ID: a NUL-padded string of up to 20 bytes

enum class RequestError {
  kNoStatusByte,          // no device-writable byte to put the status in
  kHeaderTooShort,        // fewer than 16 device-readable bytes
  kUnsupportedType,       // a type this device does not implement (status UNSUPP)
  kDataWrongDirection,    // IN with data to read, OUT/FLUSH with data to write
  kDataNotSectorMultiple, // IN/OUT data length not a multiple of 512 (§5.2.6.1)
  kSectorOutOfRange,      // [sector, sector + data/512) not inside the capacity (§5.2.6.1)
  kBadIdLength,           // GET_ID data not 20 bytes (§5.2.6.1)
};
const char* to_string(RequestError e);

struct Request {
  uint32_t type = 0;
  uint64_t sector = 0;
  std::vector<iovec> data;  // the data buffers, header and status excluded; no empty entries
  uint64_t data_len = 0;
  uint8_t* status = nullptr;  // the last device-writable byte, or nullptr when there is none
};

// Parses `chain` into *out. On an error *out->status is still set when the chain has a
// device-writable byte, so the caller can report the failure to the driver.
std::expected<void, RequestError> parse_request(const Chain& chain, uint64_t capacity_sectors,
                                                Request* out);

}  // namespace xvm::devices::virtio::blk
