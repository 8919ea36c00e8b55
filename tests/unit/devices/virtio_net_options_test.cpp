// The --net option string (devices/virtio/net/options.h): QEMU's user/hostfwd syntax narrowed
// to tcp forwards on 127.0.0.1.
#include "devices/virtio/net/options.h"

#include <gtest/gtest.h>

namespace {

using namespace xvm::devices::virtio::net;

TEST(NetOptions, PlainUser) {
  auto c = parse_net_option("user");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->hostfwds.empty());
}

TEST(NetOptions, HostForwards) {
  auto c = parse_net_option("user,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=tcp::2222-10.0.2.15:22");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->hostfwds.size(), 2u);
  EXPECT_EQ(c->hostfwds[0], (HostFwd{8080, 80}));
  EXPECT_EQ(c->hostfwds[1], (HostFwd{2222, 22}));  // an empty host address means 127.0.0.1
  auto edge = parse_net_option("user,hostfwd=tcp:127.0.0.1:65535-:1");
  ASSERT_TRUE(edge) << edge.error();
  EXPECT_EQ(edge->hostfwds[0], (HostFwd{65535, 1}));
}

TEST(NetOptions, Refusals) {
  struct Case {
    const char* spec;
    const char* says;  // a fragment of the one-line reason
  } cases[] = {
      {"", "unknown network type"},
      {"tap", "only 'user'"},
      {"user,", "unknown option"},
      {"user,restrict=on", "unknown option"},
      {"user,hostfwd", "unknown option"},
      {"user,hostfwd=udp:127.0.0.1:53-:53", "only tcp"},
      {"user,hostfwd=tcp:0.0.0.0:80-:80", "127.0.0.1"},
      {"user,hostfwd=tcp:192.168.1.5:80-:80", "127.0.0.1"},
      {"user,hostfwd=tcp:127.0.0.1:80-10.0.2.16:80", "guest address"},
      {"user,hostfwd=tcp:127.0.0.1:0-:80", "1..65535"},
      {"user,hostfwd=tcp:127.0.0.1:65536-:80", "1..65535"},
      {"user,hostfwd=tcp:127.0.0.1:80-:", "1..65535"},
      {"user,hostfwd=tcp:127.0.0.1:8x-:80", "1..65535"},
      {"user,hostfwd=tcp:127.0.0.1:+80-:80", "1..65535"},
      {"user,hostfwd=tcp:127.0.0.1:80:80", "expected"},
      {"user,hostfwd=tcp", "expected"},
      {"user,hostfwd=tcp:127.0.0.1:80-:1,hostfwd=tcp:127.0.0.1:80-:2", "twice"},
  };
  for (const Case& c : cases) {
    auto r = parse_net_option(c.spec);
    ASSERT_FALSE(r) << c.spec;
    EXPECT_NE(r.error().find(c.says), std::string::npos) << c.spec << " -> " << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
  }
}

}  // namespace
