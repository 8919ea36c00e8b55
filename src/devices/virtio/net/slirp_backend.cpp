#include "devices/virtio/net/slirp_backend.h"

#include <libslirp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace xvm::devices::virtio::net {
namespace {

in_addr ipv4(const char* dotted) {
  in_addr a{};
  inet_pton(AF_INET, dotted, &a);
  return a;
}

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Timer {
  SlirpTimerCb cb;
  void* cb_opaque;
  int64_t expire_ms = -1;  // -1: not armed
};

}  // namespace

struct SlirpBackend::Impl {
  ~Impl() {
    if (thread.joinable()) {
      stop.store(true);
      wake();
      thread.join();
    }
    if (wake_fd >= 0) close(wake_fd);
  }

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd, &one, sizeof one);  // EAGAIN: already pending
  }

  void run(NetConfig cfg, std::promise<std::string>* ready);
  std::string start_slirp(const NetConfig& cfg);
  void poll_once();
  void run_timers();

  // SlirpCb callbacks (slirp thread only; `opaque` is this Impl).
  static ssize_t send_packet(const void* buf, size_t len, void* opaque);
  static void guest_error(const char* msg, void*) {
    std::fprintf(stderr, "xvm: virtio-net: slirp: guest error: %s\n", msg);
  }
  static int64_t clock_get_ns(void*) { return now_ns(); }
  static void* timer_new(SlirpTimerCb cb, void* cb_opaque, void* opaque);
  static void timer_free(void* timer, void* opaque);
  static void timer_mod(void* timer, int64_t expire_ms, void*) {
    static_cast<Timer*>(timer)->expire_ms = expire_ms;
  }
  // Every fd slirp uses is handed to us again by slirp_pollfds_fill on each round.
  static void register_poll_fd(int, void*) {}
  static void unregister_poll_fd(int, void*) {}
  static void notify(void* opaque) { static_cast<Impl*>(opaque)->wake(); }
  static int add_poll(int fd, int events, void* opaque);
  static int get_revents(int idx, void* opaque);

  int wake_fd = -1;
  std::atomic<bool> stop{false};
  std::thread thread;

  std::mutex tx_mu;  // tx
  std::deque<std::vector<uint8_t>> tx;
  std::mutex rx_mu;  // receiver; held while it runs (set_receiver waits for it)
  Receiver receiver;

  // The slirp thread's own state.
  Slirp* slirp = nullptr;
  std::vector<std::unique_ptr<Timer>> timers;
  std::vector<pollfd> fds;
};

namespace {
const SlirpCb kCallbacks = {
    .send_packet = SlirpBackend::Impl::send_packet,
    .guest_error = SlirpBackend::Impl::guest_error,
    .clock_get_ns = SlirpBackend::Impl::clock_get_ns,
    .timer_new = SlirpBackend::Impl::timer_new,
    .timer_free = SlirpBackend::Impl::timer_free,
    .timer_mod = SlirpBackend::Impl::timer_mod,
    .register_poll_fd = SlirpBackend::Impl::register_poll_fd,
    .unregister_poll_fd = SlirpBackend::Impl::unregister_poll_fd,
    .notify = SlirpBackend::Impl::notify,
    .init_completed = nullptr,
    .timer_new_opaque = nullptr,  // timer_new is used instead
};
}  // namespace

ssize_t SlirpBackend::Impl::send_packet(const void* buf, size_t len, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  std::lock_guard lock(self->rx_mu);
  if (self->receiver) self->receiver({static_cast<const uint8_t*>(buf), len});
  return ssize_t(len);  // a frame nobody takes is dropped: TCP retransmits (libslirp.h)
}

void* SlirpBackend::Impl::timer_new(SlirpTimerCb cb, void* cb_opaque, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  self->timers.push_back(std::make_unique<Timer>(Timer{cb, cb_opaque}));
  return self->timers.back().get();
}

void SlirpBackend::Impl::timer_free(void* timer, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  std::erase_if(self->timers, [&](const auto& t) { return t.get() == timer; });
}

int SlirpBackend::Impl::add_poll(int fd, int events, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  short ev = 0;
  if (events & SLIRP_POLL_IN) ev |= POLLIN;
  if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
  if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
  self->fds.push_back({fd, ev, 0});
  return int(self->fds.size() - 1);
}

int SlirpBackend::Impl::get_revents(int idx, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  if (idx < 0 || size_t(idx) >= self->fds.size()) return 0;
  const short r = self->fds[size_t(idx)].revents;
  int out = 0;
  if (r & POLLIN) out |= SLIRP_POLL_IN;
  if (r & POLLOUT) out |= SLIRP_POLL_OUT;
  if (r & POLLPRI) out |= SLIRP_POLL_PRI;
  if (r & POLLERR) out |= SLIRP_POLL_ERR;
  if (r & POLLHUP) out |= SLIRP_POLL_HUP;
  return out;
}

std::string SlirpBackend::Impl::start_slirp(const NetConfig& cfg) {
  SlirpConfig sc{};
  sc.version = 4;
  sc.restricted = 0;  // the guest may open connections to the host and beyond
  sc.in_enabled = true;
  sc.vnetwork = ipv4("10.0.2.0");
  sc.vnetmask = ipv4("255.255.255.0");
  sc.vhost = ipv4("10.0.2.2");
  sc.in6_enabled = false;
  sc.vdhcp_start = ipv4("10.0.2.15");
  sc.vnameserver = ipv4("10.0.2.3");
  sc.disable_host_loopback = false;  // 10.0.2.2 reaches the host's 127.0.0.1
  sc.enable_emu = false;             // libslirp.h: the emulation code is not safe
  sc.disable_dns = true;             // "DNS to nothing" (issue 5): no upstream resolver
  sc.disable_dhcp = false;
  slirp = slirp_new(&sc, &kCallbacks, this);
  if (!slirp) return "slirp_new failed";
  for (const HostFwd& f : cfg.hostfwds) {
    if (slirp_add_hostfwd(slirp, 0, ipv4("127.0.0.1"), f.host_port, ipv4("10.0.2.15"),
                          f.guest_port) != 0)
      return "hostfwd=tcp:127.0.0.1:" + std::to_string(f.host_port) + "-:" +
             std::to_string(f.guest_port) + ": cannot listen on 127.0.0.1:" +
             std::to_string(f.host_port) + " (in use?)";
  }
  return {};
}

void SlirpBackend::Impl::run(NetConfig cfg, std::promise<std::string>* ready) {
  const std::string err = start_slirp(cfg);
  ready->set_value(err);
  if (err.empty()) {
    while (!stop.load()) poll_once();
  }
  if (slirp) slirp_cleanup(slirp);  // closes its sockets, frees its timers
  slirp = nullptr;
}

void SlirpBackend::Impl::poll_once() {
  fds.clear();
  fds.push_back({wake_fd, POLLIN, 0});
  uint32_t timeout_ms = 1000;
  const int64_t now_ms = now_ns() / 1000000;
  for (const auto& t : timers) {
    if (t->expire_ms >= 0)
      timeout_ms = uint32_t(std::clamp<int64_t>(t->expire_ms - now_ms, 0, timeout_ms));
  }
  slirp_pollfds_fill(slirp, &timeout_ms, add_poll, this);  // may only lower the timeout
  const int r = poll(fds.data(), fds.size(), int(timeout_ms));
  slirp_pollfds_poll(slirp, r < 0, get_revents, this);
  if (r > 0 && (fds[0].revents & POLLIN)) {
    uint64_t v;
    [[maybe_unused]] ssize_t n = read(wake_fd, &v, sizeof v);
  }
  std::deque<std::vector<uint8_t>> frames;
  {
    std::lock_guard lock(tx_mu);
    frames.swap(tx);
  }
  for (const auto& f : frames) slirp_input(slirp, f.data(), int(f.size()));
  run_timers();
}

void SlirpBackend::Impl::run_timers() {
  const int64_t now_ms = now_ns() / 1000000;
  std::vector<Timer*> due;
  for (const auto& t : timers) {
    if (t->expire_ms >= 0 && t->expire_ms <= now_ms) due.push_back(t.get());
  }
  for (Timer* t : due) {
    // A callback may free or re-arm timers: run only those still registered.
    if (std::none_of(timers.begin(), timers.end(), [&](const auto& p) { return p.get() == t; }))
      continue;
    t->expire_ms = -1;
    t->cb(t->cb_opaque);
  }
}

std::expected<std::unique_ptr<SlirpBackend>, std::string> SlirpBackend::create(
    const NetConfig& cfg) {
  auto impl = std::make_unique<Impl>();
  impl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->wake_fd < 0) return std::unexpected(std::string("eventfd failed"));
  std::promise<std::string> ready;
  auto result = ready.get_future();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw, cfg, p = std::move(ready)]() mutable { raw->run(cfg, &p); });
  const std::string err = result.get();
  if (!err.empty()) return std::unexpected(err);  // ~Impl joins the (finished) thread
  return std::unique_ptr<SlirpBackend>(new SlirpBackend(std::move(impl)));
}

SlirpBackend::SlirpBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SlirpBackend::~SlirpBackend() = default;  // ~Impl stops and joins the thread

void SlirpBackend::set_receiver(Receiver r) {
  std::lock_guard lock(impl_->rx_mu);
  impl_->receiver = std::move(r);
}

bool SlirpBackend::send(std::vector<uint8_t> frame) {
  {
    std::lock_guard lock(impl_->tx_mu);
    if (impl_->tx.size() >= kSlirpTxQueue) return false;
    impl_->tx.push_back(std::move(frame));
  }
  impl_->wake();
  return true;
}

}  // namespace xvm::devices::virtio::net
