#include "devices/virtio/blk/device.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xvm::devices::virtio::blk {
namespace {

// Moves every byte of `iov` to (write) or from the file at `offset`, retrying short transfers
// and EINTR. False on an I/O error or on end of file (the image shrank under us).
bool full_io(bool write, int fd, std::vector<iovec>& iov, uint64_t offset) {
  size_t i = 0;
  while (i < iov.size()) {
    const int cnt = int(std::min<size_t>(iov.size() - i, IOV_MAX));
    const ssize_t n = write ? pwritev(fd, &iov[i], cnt, off_t(offset))
                            : preadv(fd, &iov[i], cnt, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    offset += uint64_t(n);
    for (size_t left = size_t(n); left > 0;) {  // entries are never empty (request.cpp)
      if (left >= iov[i].iov_len) {
        left -= iov[i].iov_len;
        ++i;
      } else {
        iov[i].iov_base = static_cast<uint8_t*>(iov[i].iov_base) + left;
        iov[i].iov_len -= left;
        left = 0;
      }
    }
  }
  return true;
}

}  // namespace

std::expected<std::unique_ptr<BlkDevice>, std::string> BlkDevice::open(const Options& opts) {
  const int fd = ::open(opts.path.c_str(), (opts.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return std::unexpected(opts.path + ": " + std::strerror(errno));
  struct stat st;
  std::string why;
  if (fstat(fd, &st) != 0) why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "not a regular file";
  if (!why.empty()) {
    close(fd);
    return std::unexpected(opts.path + ": " + why);
  }
  return std::unique_ptr<BlkDevice>(new BlkDevice(fd, uint64_t(st.st_size) / kSectorSize, opts));
}

BlkDevice::BlkDevice(int fd, uint64_t capacity, const Options& opts)
    : fd_(fd), capacity_(capacity), read_only_(opts.read_only) {
  std::memcpy(id_, opts.serial.data(), std::min<size_t>(opts.serial.size(), kIdBytes));
  // struct virtio_blk_config (§5.2.4): le64 capacity at 0, le32 seg_max at 12.
  std::memcpy(config_, &capacity_, 8);
  const uint32_t seg_max = kSegMax;
  std::memcpy(config_ + 12, &seg_max, 4);
  worker_ = std::thread([this] { run(); });
}

BlkDevice::~BlkDevice() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    active_ = false;
  }
  wake_.notify_all();
  worker_.join();
  close(fd_);
}

uint64_t BlkDevice::features() const {
  return kFVersion1 | kFSegMax | kFFlush | (read_only_ ? kFRo : 0);
}

uint64_t BlkDevice::read_config(uint64_t offset, unsigned size) {
  return read_config_bytes(config_, offset, size);  // constant after construction: no lock
}

std::expected<void, std::string> BlkDevice::activate(Transport& t, uint64_t features) {
  if (!t.queue(0).ready()) return std::unexpected("request queue 0 is not ready");
  std::lock_guard lock(mu_);
  transport_ = &t;
  features_ = features;
  pending_ = false;
  active_ = true;
  return {};
}

void BlkDevice::notify(unsigned index) {
  {
    std::lock_guard lock(mu_);
    if (!active_ || index != 0) return;
    pending_ = true;
  }
  wake_.notify_one();
}

void BlkDevice::reset() {
  std::unique_lock lock(mu_);
  active_ = false;
  pending_ = false;
  idle_.wait(lock, [this] { return !busy_; });
  transport_ = nullptr;
  features_ = 0;
}

void BlkDevice::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || (active_ && pending_); });
    if (stop_) return;
    pending_ = false;
    busy_ = true;
    lock.unlock();
    const bool ok = process_queue();
    lock.lock();
    busy_ = false;
    if (!ok) active_ = false;  // stays stopped until reset and a new DRIVER_OK
    idle_.notify_all();
  }
}

bool BlkDevice::process_queue() {
  Queue& q = transport_->queue(0);
  unsigned unsignalled = 0;
  auto signal = [&] {
    if (unsignalled && q.needs_notification()) transport_->signal_used(0);
    unsignalled = 0;
  };
  // Stop between chains when reset() asks; the rest stays in the ring for after the reset
  // (where the driver will have reinitialised the queue anyway).
  while (active_.load(std::memory_order_acquire)) {
    auto popped = q.pop(&chain_);
    if (!popped) {
      signal();
      transport_->device_error(std::string("request queue: ") + to_string(popped.error()));
      return false;
    }
    if (!*popped) break;
    q.push_used(chain_.head, execute(chain_));
    completed_.fetch_add(1, std::memory_order_relaxed);
    // A notification every few requests bounds the latency of a long batch.
    if (++unsignalled == 16) signal();
  }
  signal();
  return true;
}

uint32_t BlkDevice::execute(const Chain& chain) {
  auto parsed = parse_request(chain, capacity_, &req_);
  if (!parsed) {
    // A malformed request fails alone (IOERR, or UNSUPP for an unknown type, §5.2.6); the
    // driver's other requests go on. Without a status byte there is nothing to report it in.
    if (!req_.status) return 0;
    *req_.status =
        parsed.error() == RequestError::kUnsupportedType ? kStatusUnsupp : kStatusIoErr;
    return chain.writable_len == 1 ? 1 : 0;
  }
  const uint8_t status = do_request(req_);
  *req_.status = status;
  // Used length (§2.7.8): the data then the status byte for a successful read; for a failed
  // read the data may be partly written, so only what is certain. GET_ID's 20 bytes likewise.
  if (req_.type == kTypeIn || req_.type == kTypeGetId)
    return status == kStatusOk ? uint32_t(req_.data_len + 1) : 0;
  return 1;
}

uint8_t BlkDevice::do_request(Request& r) {
  switch (r.type) {
    case kTypeIn: {
      if (r.data_len == 0) return kStatusOk;
      return full_io(false, fd_, r.data, r.sector * kSectorSize) ? kStatusOk : kStatusIoErr;
    }
    case kTypeOut: {
      // §5.2.6.2: with VIRTIO_BLK_F_RO offered, a write fails with IOERR and writes nothing.
      if (read_only_) return kStatusIoErr;
      if (r.data_len != 0) {
        if (!full_io(true, fd_, r.data, r.sector * kSectorSize)) return kStatusIoErr;
      }
      // §5.2.6.2 case 1: FLUSH offered but not negotiated makes every completed write stable.
      if (!(features_ & kFFlush) && fdatasync(fd_) != 0) return kStatusIoErr;
      return kStatusOk;
    }
    case kTypeFlush:
      if (read_only_) return kStatusOk;  // nothing of ours to make stable
      return fdatasync(fd_) == 0 ? kStatusOk : kStatusIoErr;
    case kTypeGetId: {
      // r.data covers exactly 20 bytes (request.cpp).
      const uint8_t* src = reinterpret_cast<const uint8_t*>(id_);
      for (const iovec& v : r.data) {
        std::memcpy(v.iov_base, src, v.iov_len);
        src += v.iov_len;
      }
      return kStatusOk;
    }
  }
  return kStatusUnsupp;
}

}  // namespace xvm::devices::virtio::blk
