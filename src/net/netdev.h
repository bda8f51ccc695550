/*
 * netdev.h: the sandbox's network devices, private to net/.  There is one,
 * the loopback; netlink.c describes it in RTM_NEWLINK/RTM_NEWADDR
 * messages and netdev.c answers the interface ioctls (SIOCGIF*) that any
 * socket takes.
 */
#ifndef MOAT_NET_NETDEV_H
#define MOAT_NET_NETDEV_H

#include <stdint.h>
#include <netinet/in.h>

struct task;

struct netdev {
	const char *name;
	int ifindex;
	unsigned flags;              /* IFF_* (net_device_flags) */
	unsigned type;               /* ARPHRD_* */
	uint32_t mtu, txqlen;
	uint8_t operstate;           /* IF_OPER_* */
	const char *qdisc;
	uint8_t addr[6], broadcast[6];
	struct in_addr addr4;        /* one IPv4 address, prefix4 bits */
	int prefix4;
	struct in6_addr addr6;       /* one IPv6 address, prefix6 bits */
	int prefix6;
};

/* Every device, ifindex order; n in *count. */
const struct netdev *netdev_all(int *count);
const struct netdev *netdev_by_index(int ifindex);
const struct netdev *netdev_by_name(const char *name);

/* A socket's interface ioctls (Linux: net/core/dev_ioctl.c and
 * dev_ifconf): -ENOTTY for anything else. */
long netdev_ioctl(struct task *t, unsigned cmd, uint64_t arg);

#endif
