// devices/virtio/queue.h against the split virtqueue rules of virtio 1.2 §2.7: chains laid out
// in guest RAM as a driver does (virtq_driver.h), valid ones parsed into host segments, every
// malformed one refused with the rule it breaks.
#include "devices/virtio/queue.h"

#include <gtest/gtest.h>

#include "memory/phys.h"
#include "virtq_driver.h"

namespace {

using namespace xvm;
using devices::virtio::Chain;
using devices::virtio::Queue;
using devices::virtio::QueueError;
using test::Buf;
using test::DriverQueue;

constexpr uint64_t kRam = 0x40000000, kRamSize = 0x100000;
constexpr uint64_t kData = kRam + 0x80000;  // buffers live here, rings at kRam

struct Fixture {
  explicit Fixture(uint16_t size, uint32_t max = 256) : q(mem) {
    EXPECT_TRUE(mem.add_ram(GuestPhysAddr{kRam}, kRamSize));
    drv.emplace(mem, kRam, size);
    q.set_size(size);
    q.set_desc(GuestPhysAddr{drv->desc_addr()});
    q.set_driver(GuestPhysAddr{drv->avail_addr()});
    q.set_device(GuestPhysAddr{drv->used_addr()});
    auto ok = q.enable(max);
    EXPECT_TRUE(ok) << devices::virtio::to_string(ok.error());
  }
  // The error of the next pop (fails the test when the pop succeeds).
  QueueError pop_error() {
    auto r = q.pop(&chain);
    EXPECT_FALSE(r) << "pop accepted a malformed chain";
    return r ? QueueError::kNotReady : r.error();
  }
  memory::PhysMemory mem;
  std::optional<DriverQueue> drv;
  Queue q;
  Chain chain;
};

TEST(Virtqueue, PopsAReadableThenWritableChainAsHostSegments) {
  Fixture f(8);
  const uint16_t head = f.drv->add_chain({{kData, 16, false}, {kData + 0x1000, 512, true},
                                          {kData + 0x2000, 1, true}});
  auto r = f.q.pop(&f.chain);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(f.chain.head, head);
  ASSERT_EQ(f.chain.segments.size(), 3u);
  EXPECT_EQ(f.chain.segments[0].data, f.mem.ram_ptr(GuestPhysAddr{kData}, 16));
  EXPECT_EQ(f.chain.segments[0].len, 16u);
  EXPECT_FALSE(f.chain.segments[0].writable);
  EXPECT_EQ(f.chain.segments[1].data, f.mem.ram_ptr(GuestPhysAddr{kData + 0x1000}, 512));
  EXPECT_TRUE(f.chain.segments[1].writable);
  EXPECT_EQ(f.chain.segments[2].len, 1u);
  EXPECT_EQ(f.chain.readable_len, 16u);
  EXPECT_EQ(f.chain.writable_len, 513u);
  auto again = f.q.pop(&f.chain);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);  // ring empty
}

TEST(Virtqueue, PushUsedPublishesIdLenAndIdx) {
  Fixture f(4);
  const uint16_t h0 = f.drv->add_chain({{kData, 8, true}});
  const uint16_t h1 = f.drv->add_chain({{kData + 8, 8, true}});
  ASSERT_TRUE(f.q.pop(&f.chain).value_or(false));
  EXPECT_EQ(f.chain.head, h0);
  ASSERT_TRUE(f.q.pop(&f.chain).value_or(false));
  EXPECT_EQ(f.chain.head, h1);
  f.q.push_used(h1, 7);  // out of order is allowed (§2.7.8)
  f.q.push_used(h0, 3);
  EXPECT_EQ(f.drv->used_idx(), 2);
  EXPECT_EQ(f.drv->used(0).id, h1);
  EXPECT_EQ(f.drv->used(0).len, 7u);
  EXPECT_EQ(f.drv->used(1).id, h0);
  EXPECT_EQ(f.drv->used(1).len, 3u);
}

TEST(Virtqueue, IndicesWrapAt65536) {
  // §2.7.6: idx "starts at 0, and increases", wrapping as a 16-bit value; the ring slot is idx
  // modulo the queue size. 65536 + 10 round trips take both indices across the wrap.
  Fixture f(4);
  for (uint32_t i = 0; i < 65536 + 10; ++i) {
    const uint16_t head = f.drv->add_chain({{kData + 16 * (i % 4), 16, true}});
    auto r = f.q.pop(&f.chain);
    ASSERT_TRUE(r && *r) << "at " << i;
    ASSERT_EQ(f.chain.head, head);
    ASSERT_EQ(f.chain.segments[0].data, f.mem.ram_ptr(GuestPhysAddr{kData + 16 * (i % 4)}, 16));
    f.q.push_used(head, i & 0xff);
    ASSERT_EQ(f.drv->used_idx(), uint16_t(i + 1));
    ASSERT_EQ(f.drv->used(uint16_t(i)).len, i & 0xff);
  }
  EXPECT_EQ(f.q.last_avail_idx(), 10);
}

TEST(Virtqueue, AFullQueueOfOutstandingChainsIsNotAJump) {
  Fixture f(4);
  for (int i = 0; i < 4; ++i) f.drv->add_chain({{kData, 4, false}});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(f.q.pop(&f.chain).value_or(false));
}

TEST(Virtqueue, ZeroLengthDescriptorsAreCheckedButNotListed) {
  Fixture f(4);
  f.drv->add_chain({{kData, 4, false}, {0xdead0000'00000000, 0, false}, {kData, 4, true}});
  ASSERT_TRUE(f.q.pop(&f.chain).value_or(false));
  EXPECT_EQ(f.chain.segments.size(), 2u);
}

TEST(Virtqueue, AChainAsLongAsTheQueueIsAccepted) {
  Fixture f(4);
  f.drv->add_chain({{kData, 1, false}, {kData, 1, false}, {kData, 1, true}, {kData, 1, true}});
  ASSERT_TRUE(f.q.pop(&f.chain).value_or(false));
  EXPECT_EQ(f.chain.segments.size(), 4u);
}

TEST(Virtqueue, RefusesABufferOutsideRam) {
  {
    Fixture f(4);
    f.drv->add_chain({{kRam + kRamSize, 16, false}});  // just past RAM
    EXPECT_EQ(f.pop_error(), QueueError::kBufferOutsideRam);
  }
  {
    Fixture f(4);
    f.drv->add_chain({{kRam + kRamSize - 8, 16, true}});  // straddles RAM's end
    EXPECT_EQ(f.pop_error(), QueueError::kBufferOutsideRam);
  }
  {
    Fixture f(4);
    f.drv->add_chain({{kData, 4, false}, {0xfffffffffffffff0, 0x20, true}});  // addr+len wraps
    EXPECT_EQ(f.pop_error(), QueueError::kBufferOutsideRam);
  }
  {
    Fixture f(4);
    f.drv->add_chain({{kRam - 1, 1, false}});  // just below RAM
    EXPECT_EQ(f.pop_error(), QueueError::kBufferOutsideRam);
  }
}

TEST(Virtqueue, RefusesLoops) {
  {
    Fixture f(8);
    f.drv->set_desc(3, kData, 4, 1, 3);  // next = itself
    f.drv->publish(3);
    EXPECT_EQ(f.pop_error(), QueueError::kChainTooLong);
  }
  {
    Fixture f(8);
    f.drv->set_desc(0, kData, 4, 1, 5);
    f.drv->set_desc(5, kData, 4, 1, 2);
    f.drv->set_desc(2, kData, 4, 1, 5);  // 0 -> 5 -> 2 -> 5 ...
    f.drv->publish(0);
    EXPECT_EQ(f.pop_error(), QueueError::kChainTooLong);
  }
}

TEST(Virtqueue, RefusesNextAndHeadOutOfRange) {
  {
    Fixture f(8);
    f.drv->set_desc(0, kData, 4, 1, 8);  // next == size
    f.drv->publish(0);
    EXPECT_EQ(f.pop_error(), QueueError::kNextOutOfRange);
  }
  {
    Fixture f(8);
    f.drv->set_desc(0, kData, 4, 0, 0);
    f.drv->publish(8);  // ring entry == size
    EXPECT_EQ(f.pop_error(), QueueError::kHeadOutOfRange);
  }
}

TEST(Virtqueue, RefusesReadableAfterWritable) {
  {
    Fixture f(4);
    f.drv->add_chain({{kData, 4, true}, {kData, 16, false}});
    EXPECT_EQ(f.pop_error(), QueueError::kReadableAfterWritable);
  }
  {
    Fixture f(4);  // a zero-length writable descriptor counts as writable too
    f.drv->add_chain({{kData, 4, false}, {kData, 0, true}, {kData, 16, false}});
    EXPECT_EQ(f.pop_error(), QueueError::kReadableAfterWritable);
  }
}

TEST(Virtqueue, RefusesIndirectDescriptorsSinceTheyAreNotOffered) {
  Fixture f(4);
  f.drv->set_desc(0, kData, 16, 4 /* VIRTQ_DESC_F_INDIRECT */, 0);
  f.drv->publish(0);
  EXPECT_EQ(f.pop_error(), QueueError::kIndirectNotNegotiated);
}

TEST(Virtqueue, RefusesAvailIdxJumpingPastTheQueueSize) {
  Fixture f(4);
  f.drv->set_avail_idx(5);
  EXPECT_EQ(f.pop_error(), QueueError::kAvailIdxJump);
  Fixture g(4);
  g.drv->set_avail_idx(0xffff);  // "decremented" idx, seen as a jump of 65535
  EXPECT_EQ(g.pop_error(), QueueError::kAvailIdxJump);
}

TEST(Virtqueue, RefusesAChainOfMoreThan4GiB) {
  // §2.7.5.2: at most 2^32 bytes in total. RAM of 4 GiB + 4 KiB (MAP_NORESERVE, untouched)
  // lets each descriptor be valid on its own.
  memory::PhysMemory mem;
  const uint64_t big = uint64_t{1} << 32;
  ASSERT_TRUE(mem.add_ram(GuestPhysAddr{big}, big + 0x1000));
  auto pop_with_second_len = [&](uint32_t len2) {
    DriverQueue drv(mem, big, 4);
    Queue q(mem);
    q.set_size(4);
    q.set_desc(GuestPhysAddr{drv.desc_addr()});
    q.set_driver(GuestPhysAddr{drv.avail_addr()});
    q.set_device(GuestPhysAddr{drv.used_addr()});
    EXPECT_TRUE(q.enable(4));
    drv.add_chain({{big + 0x1000, 0xffffffff, false}, {big + 0x1000, len2, true}});
    Chain c;
    return q.pop(&c);
  };
  auto r = pop_with_second_len(2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), QueueError::kChainTooLarge);
  r = pop_with_second_len(1);  // exactly 2^32 is allowed
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
}

TEST(Virtqueue, EnableChecksSizeAlignmentAndRam) {
  memory::PhysMemory mem;
  ASSERT_TRUE(mem.add_ram(GuestPhysAddr{kRam}, kRamSize));
  auto try_enable = [&](uint32_t size, uint64_t desc, uint64_t avail, uint64_t used,
                        uint32_t max = 256) {
    Queue q(mem);
    q.set_size(size);
    q.set_desc(GuestPhysAddr{desc});
    q.set_driver(GuestPhysAddr{avail});
    q.set_device(GuestPhysAddr{used});
    auto r = q.enable(max);
    EXPECT_EQ(q.ready(), bool(r));
    return r;
  };
  EXPECT_TRUE(try_enable(256, kRam, kRam + 0x1000, kRam + 0x2000));
  EXPECT_EQ(try_enable(0, kRam, kRam + 0x1000, kRam + 0x2000).error(), QueueError::kBadSize);
  EXPECT_EQ(try_enable(3, kRam, kRam + 0x1000, kRam + 0x2000).error(), QueueError::kBadSize);
  EXPECT_EQ(try_enable(512, kRam, kRam + 0x1000, kRam + 0x2000).error(), QueueError::kBadSize);
  EXPECT_EQ(try_enable(256, kRam + 8, kRam + 0x1000, kRam + 0x2000).error(),
            QueueError::kMisalignedRing);
  EXPECT_EQ(try_enable(256, kRam, kRam + 0x1001, kRam + 0x2000).error(),
            QueueError::kMisalignedRing);
  EXPECT_EQ(try_enable(256, kRam, kRam + 0x1000, kRam + 0x2002).error(),
            QueueError::kMisalignedRing);
  // Used ring of 256 entries is 6 + 8 * 256 = 2054 bytes: ending one byte past RAM is refused.
  EXPECT_TRUE(try_enable(256, kRam, kRam + 0x1000, kRam + kRamSize - 2056));
  EXPECT_EQ(try_enable(256, kRam, kRam + 0x1000, kRam + kRamSize - 2052).error(),
            QueueError::kRingOutsideRam);
  // Descriptor table of 256 * 16 = 4096 bytes.
  EXPECT_EQ(try_enable(256, kRam + kRamSize - 4080, kRam + 0x1000, kRam + 0x2000).error(),
            QueueError::kRingOutsideRam);
  EXPECT_EQ(try_enable(256, 0, kRam + 0x1000, kRam + 0x2000).error(), QueueError::kRingOutsideRam);
}

TEST(Virtqueue, ConfigurationIsFrozenWhileReadyAndResetClearsIt) {
  Fixture f(8);
  f.q.set_size(4);
  f.q.set_desc(GuestPhysAddr{0});
  EXPECT_EQ(f.q.size(), 8u);
  EXPECT_EQ(f.q.desc().value, f.drv->desc_addr());
  f.q.reset();
  EXPECT_FALSE(f.q.ready());
  EXPECT_EQ(f.q.size(), 0u);
  EXPECT_EQ(f.q.desc().value, 0u);
  auto r = f.q.pop(&f.chain);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), QueueError::kNotReady);
}

TEST(Virtqueue, NotificationFollowsTheAvailRingFlag) {
  Fixture f(4);
  EXPECT_TRUE(f.q.needs_notification());
  f.drv->set_avail_flags(1);  // VIRTQ_AVAIL_F_NO_INTERRUPT (§2.7.7)
  EXPECT_FALSE(f.q.needs_notification());
}

}  // namespace
