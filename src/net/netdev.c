/*
 * netdev.c: the sandbox's network devices.  Linux: net/core/dev.c,
 * net/core/dev_ioctl.c.
 *
 * A sandbox has no network but the loopback device `lo`, described here
 * once: netlink.c turns it into RTM_NEWLINK and RTM_NEWADDR messages, and
 * netdev_ioctl answers the interface ioctls that Linux lets any socket
 * make (sock_ioctl falls back to dev_ioctl), which glibc's
 * if_nametoindex/if_indextoname and `ifconfig`-style programs use.  The
 * values are those of a Linux loopback: flags UP|LOOPBACK|RUNNING|
 * LOWER_UP, mtu 65536, txqlen 1000, operational state UNKNOWN, qdisc
 * noqueue, 127.0.0.1/8 and ::1/128.  Nothing here changes: requests that
 * would set something are refused by the callers.
 */
#include "net/netdev.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>
#include <string.h>

#include "kernel/kernel.h"
#include "mm/mm.h"

static const struct netdev devices[] = {
	{
		.name = "lo", .ifindex = 1,
		.flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP,
		.type = ARPHRD_LOOPBACK, .mtu = 65536, .txqlen = 1000,
		.operstate = IF_OPER_UNKNOWN, .qdisc = "noqueue",
		.addr4 = { .s_addr = 0x0100007f }, .prefix4 = 8,   /* 127.0.0.1, network order */
		.addr6 = IN6ADDR_LOOPBACK_INIT, .prefix6 = 128,
	},
};

const struct netdev *netdev_all(int *count)
{
	*count = (int)(sizeof(devices) / sizeof(devices[0]));
	return devices;
}

const struct netdev *netdev_by_index(int ifindex)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (devices[i].ifindex == ifindex)
			return &devices[i];
	return NULL;
}

const struct netdev *netdev_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (!strcmp(devices[i].name, name))
			return &devices[i];
	return NULL;
}

/* SIOCGIFCONF: an ifreq per IPv4 address (Linux: dev_ifconf, inet_gifconf). */
static long ifconf(struct task *t, uint64_t arg)
{
	struct ifconf ifc;
	int total = 0;

	if (mm_copy_in(t->mm, &ifc, arg, sizeof(ifc)))
		return -EFAULT;
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		struct ifreq r;
		if (!ifc.ifc_buf) {
			total += (int)sizeof(r);
			continue;
		}
		if (ifc.ifc_len - total < (int)sizeof(r))
			break;
		memset(&r, 0, sizeof(r));
		strcpy(r.ifr_name, devices[i].name);
		struct sockaddr_in *sin = (struct sockaddr_in *)&r.ifr_addr;
		sin->sin_family = AF_INET;
		sin->sin_addr = devices[i].addr4;
		if (mm_copy_out(t->mm, (uint64_t)(uintptr_t)ifc.ifc_buf + (uint64_t)total, &r,
				sizeof(r)))
			return -EFAULT;
		total += (int)sizeof(r);
	}
	ifc.ifc_len = total;
	return mm_copy_out(t->mm, arg, &ifc, sizeof(ifc)) ? -EFAULT : 0;
}

long netdev_ioctl(struct task *t, unsigned cmd, uint64_t arg)
{
	const struct netdev *d;
	struct ifreq r;

	switch (cmd) {
	case SIOCGIFCONF:
		return ifconf(t, arg);
	case SIOCGIFNAME: case SIOCGIFFLAGS: case SIOCGIFMETRIC: case SIOCGIFMTU:
	case SIOCGIFMAP: case SIOCGIFINDEX: case SIOCGIFTXQLEN: case SIOCGIFHWADDR:
		break;
	default:
		return -ENOTTY;
	}
	if (mm_copy_in(t->mm, &r, arg, sizeof(r)))
		return -EFAULT;
	if (cmd == SIOCGIFNAME) {
		d = netdev_by_index(r.ifr_ifindex);
		if (!d)
			return -ENODEV;
		memset(r.ifr_name, 0, sizeof(r.ifr_name));
		strcpy(r.ifr_name, d->name);
		return mm_copy_out(t->mm, arg, &r, sizeof(r)) ? -EFAULT : 0;
	}
	/* Linux: dev_ioctl ends the name and looks it up without an alias. */
	char name[IFNAMSIZ];
	memcpy(name, r.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = 0;
	char *colon = strchr(name, ':');
	if (colon)
		*colon = 0;
	d = netdev_by_name(name);
	if (!d)
		return -ENODEV;
	switch (cmd) {
	case SIOCGIFFLAGS: r.ifr_flags = (short)d->flags; break;
	case SIOCGIFMETRIC: r.ifr_metric = 0; break;
	case SIOCGIFMTU: r.ifr_mtu = (int)d->mtu; break;
	case SIOCGIFMAP: memset(&r.ifr_map, 0, sizeof(r.ifr_map)); break;
	case SIOCGIFINDEX: r.ifr_ifindex = d->ifindex; break;
	case SIOCGIFTXQLEN: r.ifr_qlen = (int)d->txqlen; break;
	case SIOCGIFHWADDR:
		memset(&r.ifr_hwaddr, 0, sizeof(r.ifr_hwaddr));
		r.ifr_hwaddr.sa_family = (sa_family_t)d->type;
		memcpy(r.ifr_hwaddr.sa_data, d->addr, sizeof(d->addr));
		break;
	}
	return mm_copy_out(t->mm, arg, &r, sizeof(r)) ? -EFAULT : 0;
}
