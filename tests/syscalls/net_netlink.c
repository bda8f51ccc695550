/*
 * net_netlink.c - AF_NETLINK, NETLINK_ROUTE sockets (what holds natively
 * and in a sandbox whose only device is the loopback):
 *   - socket: SOCK_RAW and SOCK_DGRAM, SOCK_CLOEXEC/SOCK_NONBLOCK;
 *     ESOCKTNOSUPPORT for SOCK_STREAM, EPROTONOSUPPORT for an unknown
 *     protocol; socketpair is EOPNOTSUPP;
 *   - bind/getsockname: an unbound socket has port 0; bind(0) takes the
 *     process id, a second bind(0) elsewhere another port; an explicit
 *     port in use is EADDRINUSE; rebinding to another port EINVAL; short
 *     or wrong-family addresses EINVAL; getpeername is the kernel (0);
 *     an unbound socket gets a port at its first send;
 *   - RTM_GETLINK dump: "lo" with ifindex 1, IFF_LOOPBACK|IFF_UP,
 *     ARPHRD_LOOPBACK, mtu 65536, NLM_F_MULTI, sequence and port echoed,
 *     the sender is port 0; the dump ends with NLMSG_DONE; RTM_GETLINK
 *     of index 1 and of name "lo" without NLM_F_DUMP; ENODEV for a
 *     missing name;
 *   - RTM_GETADDR dumps (AF_UNSPEC, AF_INET, AF_INET6): 127.0.0.1/8 with
 *     label "lo" and ::1/128 on ifindex 1;
 *   - errors: an unknown type gives NLMSG_ERROR -EOPNOTSUPP carrying the
 *     request; NLM_F_ACK gives an ack (error 0); a message with a bad
 *     length is ignored; a zero-length send is ENODATA;
 *   - recv: MSG_PEEK, MSG_TRUNC (flag and msg_flags), read/write,
 *     EAGAIN with MSG_DONTWAIT and SOCK_NONBLOCK, poll readiness, EFAULT
 *     for a wild buffer (the datagram is gone, as Linux dequeues first);
 *   - options: SO_RCVBUF, SO_TYPE, SO_PROTOCOL, SO_DOMAIN,
 *     NETLINK_EXT_ACK/NETLINK_GET_STRICT_CHK/NETLINK_CAP_ACK read back,
 *     unknown SOL_NETLINK options ENOPROTOOPT;
 *   - libc: if_nametoindex("lo") == 1, if_indextoname(1) == "lo",
 *     if_nameindex() and getifaddrs() list "lo" (127.0.0.1 among its
 *     addresses).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

static char buf[65536];

static int nl_socket(int type)
{
	int fd = socket(AF_NETLINK, type, NETLINK_ROUTE);
	CHECK(fd >= 0);
	return fd;
}

static uint32_t port_of(int fd)
{
	struct sockaddr_nl a;
	socklen_t len = sizeof(a);

	memset(&a, 0xff, sizeof(a));
	CHECK_OK(getsockname(fd, (struct sockaddr *)&a, &len));
	CHECK_EQ(len, sizeof(a));
	CHECK_EQ(a.nl_family, AF_NETLINK);
	return a.nl_pid;
}

/* Sends a request of type with a fixed header hdr (hlen bytes). */
static void request(int fd, int type, int flags, uint32_t seq, const void *hdr, size_t hlen)
{
	struct {
		struct nlmsghdr nh;
		char body[64];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(hlen);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | flags;
	req.nh.nlmsg_seq = seq;
	memcpy(req.body, hdr, hlen);
	CHECK_EQ(sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)),
		 req.nh.nlmsg_len);
}

/* Receives one datagram into buf; checks the sender is the kernel. */
static long recv_dgram(int fd)
{
	struct sockaddr_nl from;
	socklen_t flen = sizeof(from);

	memset(&from, 0xff, sizeof(from));
	long n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	CHECK(n > 0);
	CHECK_EQ(flen, sizeof(from));
	CHECK_EQ(from.nl_family, AF_NETLINK);
	CHECK_EQ(from.nl_pid, 0);
	CHECK_EQ(from.nl_groups, 0);
	return n;
}

static const struct rtattr *find_attr(const struct nlmsghdr *nh, size_t hlen, int type)
{
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(hlen);
	const struct rtattr *a = (const void *)((const char *)NLMSG_DATA(nh) + NLMSG_ALIGN(hlen));

	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static void test_socket(void)
{
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (CHECK(fd >= 0)) {
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
		close(fd);
	}
	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	if (CHECK(fd >= 0)) {
		int v = -1;
		socklen_t len = sizeof(v);
		CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
		CHECK_EQ(v, SOCK_DGRAM);
		CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len));
		CHECK_EQ(v, NETLINK_ROUTE);
		CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
		CHECK_EQ(v, AF_NETLINK);
		close(fd);
	}
	CHECK_ERR(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, 32), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, -1), EPROTONOSUPPORT);
	int sv[2];
	CHECK_ERR(socketpair(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, sv), EOPNOTSUPP);
}

static void test_bind(void)
{
	int a = nl_socket(SOCK_RAW), b = nl_socket(SOCK_RAW), c = nl_socket(SOCK_RAW);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	CHECK_EQ(port_of(a), 0);
	CHECK_OK(bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	CHECK_EQ(port_of(a), getpid());
	/* Binding again to the same port is fine, to another EINVAL. */
	sa.nl_pid = getpid();
	CHECK_OK(bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	sa.nl_pid = 12345;
	CHECK_ERR(bind(a, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	/* The process id is taken: another port. */
	sa.nl_pid = 0;
	CHECK_OK(bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	uint32_t pb = port_of(b);
	CHECK_NE(pb, 0);
	CHECK_NE(pb, (uint32_t)getpid());
	sa.nl_pid = pb;
	CHECK_ERR(bind(c, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
	CHECK_ERR(bind(c, (struct sockaddr *)&sa, sizeof(sa) - 1), EINVAL);
	sa.nl_family = AF_UNIX;
	sa.nl_pid = 0;
	CHECK_ERR(bind(c, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	CHECK_ERR(bind(c, (struct sockaddr *)1, sizeof(sa)), EFAULT);

	struct sockaddr_nl peer;
	socklen_t len = sizeof(peer);
	memset(&peer, 0xff, sizeof(peer));
	CHECK_OK(getpeername(c, (struct sockaddr *)&peer, &len));
	CHECK_EQ(len, sizeof(peer));
	CHECK_EQ(peer.nl_family, AF_NETLINK);
	CHECK_EQ(peer.nl_pid, 0);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	CHECK_OK(connect(c, (struct sockaddr *)&kernel, sizeof(kernel)));
	close(a);
	close(b);
	close(c);

	/* An unbound socket is given a port at its first send. */
	a = nl_socket(SOCK_RAW);
	struct rtgenmsg g = { AF_UNSPEC };
	request(a, RTM_GETLINK, NLM_F_DUMP, 1, &g, sizeof(g));
	CHECK_EQ(port_of(a), getpid());
	close(a);
}

static void test_getlink(void)
{
	int fd = nl_socket(SOCK_RAW);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	bool seen_lo = false, done = false;

	CHECK_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	uint32_t port = port_of(fd);
	request(fd, RTM_GETLINK, NLM_F_DUMP, 77, &ifi, sizeof(ifi));
	while (!done) {
		long n = recv_dgram(fd);
		if (n <= 0)
			break;
		for (struct nlmsghdr *nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			CHECK_EQ(nh->nlmsg_seq, 77);
			CHECK_EQ(nh->nlmsg_pid, port);
			CHECK(nh->nlmsg_flags & NLM_F_MULTI);
			if (nh->nlmsg_type == NLMSG_DONE) {
				CHECK_EQ(nh->nlmsg_len, NLMSG_LENGTH(sizeof(int)));
				CHECK_EQ(*(int *)NLMSG_DATA(nh), 0);
				done = true;
				break;
			}
			if (!CHECK_EQ(nh->nlmsg_type, RTM_NEWLINK))
				break;
			struct ifinfomsg *m = NLMSG_DATA(nh);
			const struct rtattr *name = find_attr(nh, sizeof(*m), IFLA_IFNAME);
			if (!CHECK(name))
				continue;
			if (strcmp(RTA_DATA(name), "lo"))
				continue;
			seen_lo = true;
			CHECK_EQ(m->ifi_index, 1);
			CHECK_EQ(m->ifi_type, ARPHRD_LOOPBACK);
			CHECK(m->ifi_flags & IFF_LOOPBACK);
			CHECK(m->ifi_flags & IFF_UP);
			const struct rtattr *mtu = find_attr(nh, sizeof(*m), IFLA_MTU);
			if (CHECK(mtu))
				CHECK_EQ(*(uint32_t *)RTA_DATA(mtu), 65536);
			const struct rtattr *addr = find_attr(nh, sizeof(*m), IFLA_ADDRESS);
			if (CHECK(addr))
				CHECK_EQ(RTA_PAYLOAD(addr), 6);
		}
	}
	CHECK(seen_lo);
	CHECK(done);

	/* One link by index, then by name: a single RTM_NEWLINK. */
	ifi.ifi_index = 1;
	request(fd, RTM_GETLINK, 0, 78, &ifi, sizeof(ifi));
	long n = recv_dgram(fd);
	struct nlmsghdr *nh = (void *)buf;
	CHECK_EQ(n, nh->nlmsg_len);
	CHECK_EQ(nh->nlmsg_type, RTM_NEWLINK);
	CHECK_EQ(nh->nlmsg_flags, 0);
	CHECK_EQ(nh->nlmsg_seq, 78);
	CHECK_EQ(((struct ifinfomsg *)NLMSG_DATA(nh))->ifi_index, 1);

	struct {
		struct ifinfomsg ifi;
		struct rtattr a;
		char name[8];
	} byname = { .ifi = { .ifi_family = AF_UNSPEC },
		     .a = { RTA_LENGTH(3), IFLA_IFNAME }, .name = "lo" };
	request(fd, RTM_GETLINK, 0, 79, &byname, sizeof(byname));
	recv_dgram(fd);
	CHECK_EQ(nh->nlmsg_type, RTM_NEWLINK);
	CHECK_EQ(((struct ifinfomsg *)NLMSG_DATA(nh))->ifi_index, 1);
	strcpy(byname.name, "nosuch0");
	byname.a.rta_len = RTA_LENGTH(8);
	request(fd, RTM_GETLINK, 0, 80, &byname, sizeof(byname));
	recv_dgram(fd);
	CHECK_EQ(nh->nlmsg_type, NLMSG_ERROR);
	CHECK_EQ(((struct nlmsgerr *)NLMSG_DATA(nh))->error, -ENODEV);
	close(fd);
}

static void check_addrs(int family, bool want4, bool want6)
{
	int fd = nl_socket(SOCK_RAW);
	struct ifaddrmsg ifa = { .ifa_family = family };
	bool seen4 = false, seen6 = false, done = false;

	request(fd, RTM_GETADDR, NLM_F_DUMP, 90, &ifa, sizeof(ifa));
	while (!done) {
		long n = recv_dgram(fd);
		if (n <= 0)
			break;
		for (struct nlmsghdr *nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			CHECK_EQ(nh->nlmsg_seq, 90);
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (!CHECK_EQ(nh->nlmsg_type, RTM_NEWADDR))
				break;
			struct ifaddrmsg *m = NLMSG_DATA(nh);
			if (family != AF_UNSPEC)
				CHECK_EQ(m->ifa_family, family);
			const struct rtattr *a = find_attr(nh, sizeof(*m), IFA_ADDRESS);
			if (!CHECK(a))
				continue;
			if (m->ifa_family == AF_INET &&
			    *(uint32_t *)RTA_DATA(a) == htonl(INADDR_LOOPBACK)) {
				seen4 = true;
				CHECK_EQ(m->ifa_index, 1);
				CHECK_EQ(m->ifa_prefixlen, 8);
				CHECK_EQ(m->ifa_scope, RT_SCOPE_HOST);
				const struct rtattr *l = find_attr(nh, sizeof(*m), IFA_LOCAL);
				if (CHECK(l))
					CHECK_EQ(*(uint32_t *)RTA_DATA(l), htonl(INADDR_LOOPBACK));
				const struct rtattr *label = find_attr(nh, sizeof(*m), IFA_LABEL);
				if (CHECK(label))
					CHECK(!strcmp(RTA_DATA(label), "lo"));
				CHECK(find_attr(nh, sizeof(*m), IFA_CACHEINFO));
			}
			if (m->ifa_family == AF_INET6 &&
			    !memcmp(RTA_DATA(a), &in6addr_loopback, 16)) {
				seen6 = true;
				CHECK_EQ(m->ifa_index, 1);
				CHECK_EQ(m->ifa_prefixlen, 128);
			}
		}
	}
	CHECK(done);
	CHECK_EQ(seen4, want4);
	CHECK_EQ(seen6, want6);
	close(fd);
}

static void test_errors(void)
{
	int fd = nl_socket(SOCK_RAW);
	struct rtgenmsg g = { AF_UNSPEC };
	struct nlmsghdr *nh = (void *)buf;

	/* RTM_GETQDISC... no: a type rtnetlink does not know at all. */
	request(fd, RTM_MAX + 1, 0, 5, &g, sizeof(g));
	long n = recv_dgram(fd);
	CHECK_EQ(n, NLMSG_LENGTH(sizeof(struct nlmsgerr)) + NLMSG_ALIGN(sizeof(g)));
	CHECK_EQ(nh->nlmsg_type, NLMSG_ERROR);
	CHECK_EQ(nh->nlmsg_seq, 5);
	struct nlmsgerr *e = NLMSG_DATA(nh);
	CHECK_EQ(e->error, -EOPNOTSUPP);
	CHECK_EQ(e->msg.nlmsg_type, RTM_MAX + 1);
	CHECK_EQ(e->msg.nlmsg_seq, 5);

	/* An ack for a request that succeeds: just the header. */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 1 };
	request(fd, RTM_GETLINK, NLM_F_ACK, 6, &ifi, sizeof(ifi));
	recv_dgram(fd);
	CHECK_EQ(nh->nlmsg_type, RTM_NEWLINK);
	n = recv_dgram(fd);
	CHECK_EQ(nh->nlmsg_type, NLMSG_ERROR);
	CHECK_EQ(e->error, 0);
	CHECK_EQ(e->msg.nlmsg_seq, 6);

	/* A message longer than the datagram is ignored; so is a reply
	 * type (no NLM_F_REQUEST) without NLM_F_ACK. */
	struct nlmsghdr bad = { .nlmsg_len = 100, .nlmsg_type = RTM_GETLINK,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP };
	CHECK_EQ(send(fd, &bad, sizeof(bad), 0), sizeof(bad));
	bad.nlmsg_len = sizeof(bad);
	bad.nlmsg_flags = 0;
	CHECK_EQ(send(fd, &bad, sizeof(bad), 0), sizeof(bad));
	CHECK_ERR(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_ERR(send(fd, &bad, 0, 0), ENODATA);
	CHECK_ERR(send(fd, (void *)1, sizeof(bad), 0), EFAULT);

	int v = 0;
	socklen_t len = sizeof(v);
	CHECK_ERR(getsockopt(fd, SOL_NETLINK, 12345, &v, &len), ENOPROTOOPT);
	CHECK_ERR(setsockopt(fd, SOL_NETLINK, 12345, &v, sizeof(v)), ENOPROTOOPT);
	close(fd);
}

static void test_recv(void)
{
	int fd = nl_socket(SOCK_RAW);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 1 };
	struct pollfd p = { fd, POLLIN, 0 };

	CHECK_ERR(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(poll(&p, 1, 0), 0);
	request(fd, RTM_GETLINK, 0, 7, &ifi, sizeof(ifi));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);

	/* The size with MSG_PEEK|MSG_TRUNC and no buffer, as iproute2. */
	long size = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	CHECK(size > (long)NLMSG_LENGTH(sizeof(ifi)));
	/* Linux dequeues before copying: a bad buffer loses the datagram. */
	CHECK_ERR(recv(fd, (void *)1, sizeof(buf), 0), EFAULT);
	CHECK_ERR(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	request(fd, RTM_GETLINK, 0, 7, &ifi, sizeof(ifi));
	/* Peeking a part: MSG_TRUNC in msg_flags, the datagram stays. */
	struct iovec iov = { buf, 16 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ(recvmsg(fd, &mh, MSG_PEEK), 16);
	CHECK(mh.msg_flags & MSG_TRUNC);
	CHECK_EQ(((struct nlmsghdr *)buf)->nlmsg_len, size);
	/* A short read takes the whole datagram. */
	CHECK_EQ(read(fd, buf, 20), 20);
	CHECK_ERR(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(poll(&p, 1, 0), 0);

	/* MSG_TRUNC as a flag: the real length. */
	request(fd, RTM_GETLINK, 0, 8, &ifi, sizeof(ifi));
	CHECK_EQ(recv(fd, buf, 8, MSG_TRUNC), size);
	/* write(2) sends a request too; the name with recvmsg. */
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = { { sizeof(req), RTM_GETLINK, NLM_F_REQUEST, 9, 0 }, ifi };
	CHECK_EQ(write(fd, &req, sizeof(req)), sizeof(req));
	struct sockaddr_nl from;
	memset(&from, 0xff, sizeof(from));
	iov.iov_len = sizeof(buf);
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	CHECK_EQ(recvmsg(fd, &mh, 0), size);
	CHECK_EQ(mh.msg_namelen, sizeof(from));
	CHECK_EQ(from.nl_pid, 0);
	CHECK_EQ(mh.msg_flags, 0);
	CHECK_EQ(((struct nlmsghdr *)buf)->nlmsg_seq, 9);
	close(fd);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
	CHECK_ERR(recv(fd, buf, sizeof(buf), 0), EAGAIN);
	close(fd);
}

static void test_options(void)
{
	int fd = nl_socket(SOCK_RAW), v = 1;
	socklen_t len = sizeof(v);

	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 32768 }, sizeof(int)));
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len));
	CHECK_EQ(v, 65536);
	int opts[] = { NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK, NETLINK_CAP_ACK };
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		v = -1;
		len = sizeof(v);
		CHECK_OK(getsockopt(fd, SOL_NETLINK, opts[i], &v, &len));
		CHECK_EQ(v, 0);
		CHECK_OK(setsockopt(fd, SOL_NETLINK, opts[i], &(int){ 1 }, sizeof(int)));
		CHECK_OK(getsockopt(fd, SOL_NETLINK, opts[i], &v, &len));
		CHECK_EQ(v, 1);
		CHECK_EQ(len, sizeof(int));
	}
	/* Strict checking: a link dump naming an index is EINVAL in DONE. */
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = 1 };
	request(fd, RTM_GETLINK, NLM_F_DUMP, 3, &ifi, sizeof(ifi));
	recv_dgram(fd);
	struct nlmsghdr *nh = (void *)buf;
	CHECK_EQ(nh->nlmsg_type, NLMSG_DONE);
	CHECK_EQ(*(int *)NLMSG_DATA(nh), -EINVAL);
	CHECK_OK(setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &(int){ RTNLGRP_LINK },
			    sizeof(int)));
	close(fd);
}

static void test_libc(void)
{
	char name[IF_NAMESIZE];

	CHECK_EQ(if_nametoindex("lo"), 1);
	CHECK_EQ(if_nametoindex("nosuchif0"), 0);
	CHECK(if_indextoname(1, name) && !strcmp(name, "lo"));

	struct if_nameindex *ni = if_nameindex();
	bool seen = false;
	if (CHECK(ni)) {
		for (struct if_nameindex *p = ni; p->if_index; p++)
			if (!strcmp(p->if_name, "lo"))
				seen = CHECK_EQ(p->if_index, 1);
		if_freenameindex(ni);
	}
	CHECK(seen);

	struct ifaddrs *ifa;
	bool seen_link = false, seen4 = false;
	if (CHECK_OK(getifaddrs(&ifa))) {
		for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
			if (strcmp(p->ifa_name, "lo"))
				continue;
			CHECK(p->ifa_flags & IFF_LOOPBACK);
			if (p->ifa_addr && p->ifa_addr->sa_family == AF_PACKET)
				seen_link = true;
			if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET &&
			    ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr ==
				    htonl(INADDR_LOOPBACK))
				seen4 = true;
		}
		freeifaddrs(ifa);
	}
	CHECK(seen_link);
	CHECK(seen4);
}

int main(void)
{
	test_socket();
	test_bind();
	test_getlink();
	check_addrs(AF_UNSPEC, true, true);
	check_addrs(AF_INET, true, false);
	check_addrs(AF_INET6, false, true);
	test_errors();
	test_recv();
	test_options();
	test_libc();
	return check_done();
}
