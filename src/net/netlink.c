/*
 * netlink.c: AF_NETLINK sockets of protocol NETLINK_ROUTE.  Linux:
 * net/netlink/af_netlink.c (the socket), net/core/rtnetlink.c (requests),
 * net/ipv4/devinet.c and net/ipv6/addrconf.c (address messages).
 *
 * What programs ask the route netlink of a sandbox is who its network
 * devices are: glibc's getaddrinfo(AI_ADDRCONFIG), if_nameindex and
 * getifaddrs, and `ip link`/`ip addr`, dump the links (RTM_GETLINK) and
 * addresses (RTM_GETADDR) or get one link.  The sandbox has one device,
 * the loopback (netdev.c), and nothing can change, so the "kernel" side is
 * a function: a request sent to port 0 is answered at once by appending
 * reply datagrams to the sender's receive queue, as Linux's rtnetlink
 * would send them (a dump: one datagram of messages, then NLMSG_DONE
 * alone; an error or NLM_F_ACK: NLMSG_ERROR).  Requests that would
 * change something get -EPERM without CAP_NET_ADMIN and -EOPNOTSUPP with
 * it; other types -EOPNOTSUPP, as rtnetlink_rcv_msg answers.
 *
 * The socket is a datagram queue like Linux's: recvmsg takes one datagram
 * (MSG_PEEK, MSG_TRUNC), names the sender (port 0, or a sandbox socket
 * that sent to us), blocks while the queue is empty.  Ports: bind(0)
 * and the first send take the thread group's id, or a negative one if
 * that is taken (netlink_autobind); a datagram to a nonzero port goes to
 * the sandbox socket bound there.  Multicast groups are accepted and
 * never receive anything (nothing changes).  The netlink options are
 * kept and read back; NETLINK_EXT_ACK adds no TLVs (there are no
 * messages to add) and NETLINK_PKTINFO no control message.
 *
 * One lock (nl_lock) guards every netlink socket; a socket's wait-queue
 * lock nests inside it.
 */
#include "net/net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kernel/kernel.h"
#include "mm/mm.h"
#include "net/netdev.h"
#include "util/util.h"

#define NL_BUF_DEFAULT 212992        /* net.core.{r,w}mem_default */
#define SOL_NETLINK_K 270
#define INFINITY_LIFE_TIME 0xffffffffu   /* Linux: include/net/addrconf.h */

struct nl_dgram {
	struct nl_dgram *next;
	uint32_t portid;                 /* the sender: 0 for the kernel */
	size_t len;
	uint8_t data[];
};

struct nlsock {
	int type;
	uint32_t portid;
	bool bound;
	uint32_t groups;                 /* bind's nl_groups */
	uint32_t dst_portid, dst_groups; /* connect */
	int rcvbuf, sndbuf;
	int err;                         /* pending error: ENOBUFS after a drop */
	bool passcred, pktinfo, ext_ack, cap_ack, strict_chk, no_enobufs, listen_all_nsid,
	     broadcast_error;
	struct nl_dgram *head, **tail;
	size_t queued;
	struct waitq wq;
	uint64_t rcvtimeo_ns, sndtimeo_ns;
	struct nlsock *bound_next;
};

static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nlsock *nl_bound;      /* sockets with a port (nl_lock) */

static const struct file_ops netlink_ops;

/* ---- ports ---- */

static struct nlsock *port_lookup(uint32_t portid)
{
	for (struct nlsock *s = nl_bound; s; s = s->bound_next)
		if (s->portid == portid)
			return s;
	return NULL;
}

/* Gives s a port, nl_lock held: portid, or (0) the thread group's id or
 * a free negative one (Linux: netlink_autobind). */
static int port_insert(struct nlsock *s, struct task *t, uint32_t portid)
{
	static int32_t rover = -4097;

	if (portid && port_lookup(portid))
		return -EADDRINUSE;
	if (!portid) {
		portid = (uint32_t)t->tg->tgid;
		while (port_lookup(portid)) {
			if (rover >= -4096)
				rover = -4097;
			portid = (uint32_t)rover--;
		}
	}
	s->portid = portid;
	s->bound = true;
	s->bound_next = nl_bound;
	nl_bound = s;
	return 0;
}

/* ---- the receive queue ---- */

/* Appends a datagram to s (nl_lock held).  A full queue drops it and
 * reports ENOBUFS on the next receive, as Linux does for the kernel's
 * messages (netlink_overrun), unless NETLINK_NO_ENOBUFS; force: a dump's
 * part, which Linux would send when room is made - up to four times the
 * buffer, so that a program that never reads cannot grow the sentry's
 * memory without bound. */
static int queue_dgram(struct nlsock *s, uint32_t from, const void *data, size_t len, bool force)
{
	struct nl_dgram *d;

	if (s->queued > (size_t)s->rcvbuf * (force ? 4 : 1)) {
		if (!s->no_enobufs)
			s->err = ENOBUFS;
		waitq_notify(&s->wq, POLLERR);
		return -ENOBUFS;
	}
	d = malloc(sizeof(*d) + len);
	if (!d)
		return -ENOMEM;
	d->next = NULL;
	d->portid = from;
	d->len = len;
	memcpy(d->data, data, len);
	*s->tail = d;
	s->tail = &d->next;
	s->queued += len;
	waitq_notify(&s->wq, POLLIN | POLLRDNORM);
	return 0;
}

/* ---- building replies ---- */

struct nlbuf {
	uint8_t *p;
	size_t len, cap;
	bool failed;                     /* out of memory */
};

static void *buf_put(struct nlbuf *b, const void *data, size_t len)
{
	size_t need = b->len + NLMSG_ALIGN(len);

	if (b->failed)
		return NULL;
	if (need > b->cap) {
		size_t cap = MAX(need, b->cap * 2 + 256);
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	void *at = b->p + b->len;
	memset(at, 0, NLMSG_ALIGN(len));
	if (data)
		memcpy(at, data, len);
	b->len = need;
	return at;
}

/* Starts a message; returns its offset for msg_end. */
static size_t msg_begin(struct nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq,
			uint32_t pid, const void *hdr, size_t hdrlen)
{
	struct nlmsghdr h = { 0, type, flags, seq, pid };
	size_t off = b->len;

	buf_put(b, &h, sizeof(h));
	buf_put(b, hdr, hdrlen);
	return off;
}

static void msg_end(struct nlbuf *b, size_t off)
{
	if (!b->failed)
		((struct nlmsghdr *)(b->p + off))->nlmsg_len = (uint32_t)(b->len - off);
}

static void attr_put(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	struct nlattr a = { (uint16_t)(NLA_HDRLEN + len), type };

	buf_put(b, &a, sizeof(a));
	buf_put(b, data, len);
}

static void attr_u32(struct nlbuf *b, uint16_t type, uint32_t v) { attr_put(b, type, &v, 4); }
static void attr_u8(struct nlbuf *b, uint16_t type, uint8_t v) { attr_put(b, type, &v, 1); }
static void attr_str(struct nlbuf *b, uint16_t type, const char *s)
{
	attr_put(b, type, s, strlen(s) + 1);
}

/* A request being answered: where replies go and what they echo. */
struct rtnl_req {
	struct nlsock *s;
	const struct nlmsghdr *nlh;
	uint32_t portid;                 /* the requester's */
};

/* ---- messages (rtnl_fill_ifinfo, inet_fill_ifaddr, inet6_fill_ifaddr) ---- */

static void fill_link(struct nlbuf *b, const struct rtnl_req *r, const struct netdev *d,
		      uint16_t flags, uint32_t ext_mask)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_type = (unsigned short)d->type,
				 .ifi_index = d->ifindex, .ifi_flags = d->flags };
	size_t off = msg_begin(b, RTM_NEWLINK, flags, r->nlh->nlmsg_seq, r->portid, &ifi,
			       sizeof(ifi));

	attr_str(b, IFLA_IFNAME, d->name);
	attr_u32(b, IFLA_TXQLEN, d->txqlen);
	attr_u8(b, IFLA_OPERSTATE, d->operstate);
	attr_u8(b, IFLA_LINKMODE, 0);
	attr_u32(b, IFLA_MTU, d->mtu);
	attr_u32(b, IFLA_MIN_MTU, 0);
	attr_u32(b, IFLA_MAX_MTU, 0);
	attr_u32(b, IFLA_GROUP, 0);
	attr_u32(b, IFLA_PROMISCUITY, 0);
	attr_u32(b, IFLA_ALLMULTI, 0);
	attr_u32(b, IFLA_NUM_TX_QUEUES, 1);
	attr_u32(b, IFLA_GSO_MAX_SEGS, 65535);
	attr_u32(b, IFLA_GSO_MAX_SIZE, 65536);
	attr_u32(b, IFLA_NUM_RX_QUEUES, 1);
	attr_u8(b, IFLA_CARRIER, 1);
	attr_u32(b, IFLA_CARRIER_CHANGES, 0);
	attr_u8(b, IFLA_PROTO_DOWN, 0);
	attr_str(b, IFLA_QDISC, d->qdisc);
	attr_put(b, IFLA_ADDRESS, d->addr, sizeof(d->addr));
	attr_put(b, IFLA_BROADCAST, d->broadcast, sizeof(d->broadcast));
	if (!(ext_mask & RTEXT_FILTER_SKIP_STATS)) {
		struct rtnl_link_stats64 st64 = { 0 };
		struct rtnl_link_stats st = { 0 };
		attr_put(b, IFLA_STATS64, &st64, sizeof(st64));
		attr_put(b, IFLA_STATS, &st, sizeof(st));
	}
	msg_end(b, off);
}

static void fill_addr(struct nlbuf *b, const struct rtnl_req *r, const struct netdev *d,
		      int family, uint16_t flags)
{
	struct ifaddrmsg ifa = { .ifa_family = (uint8_t)family, .ifa_flags = IFA_F_PERMANENT,
				 .ifa_scope = RT_SCOPE_HOST, .ifa_index = (uint32_t)d->ifindex };
	struct ifa_cacheinfo ci = { .ifa_prefered = INFINITY_LIFE_TIME,
				    .ifa_valid = INFINITY_LIFE_TIME };
	size_t off;

	ifa.ifa_prefixlen = (uint8_t)(family == AF_INET ? d->prefix4 : d->prefix6);
	off = msg_begin(b, RTM_NEWADDR, flags, r->nlh->nlmsg_seq, r->portid, &ifa, sizeof(ifa));
	if (family == AF_INET) {
		attr_put(b, IFA_ADDRESS, &d->addr4, sizeof(d->addr4));
		attr_put(b, IFA_LOCAL, &d->addr4, sizeof(d->addr4));
		attr_str(b, IFA_LABEL, d->name);
		attr_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
		attr_put(b, IFA_CACHEINFO, &ci, sizeof(ci));
	} else {
		attr_put(b, IFA_ADDRESS, &d->addr6, sizeof(d->addr6));
		attr_put(b, IFA_CACHEINFO, &ci, sizeof(ci));
		attr_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
		attr_u8(b, IFA_PROTO, IFAPROT_KERNEL_LO);
	}
	msg_end(b, off);
}

/* ---- requests ---- */

/* The attributes after a fixed header of hdrlen bytes: tb[type] for
 * those up to max (the last of a type wins, as nla_parse). */
static void parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
			int max)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen);

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	while (off + NLA_HDRLEN <= nlh->nlmsg_len) {
		const struct nlattr *a = (const void *)((const uint8_t *)nlh + off);
		if (a->nla_len < NLA_HDRLEN || a->nla_len > nlh->nlmsg_len - off)
			break;               /* Linux warns of leftover bytes */
		int type = a->nla_type & NLA_TYPE_MASK;
		if (type <= max)
			tb[type] = a;
		off += NLA_ALIGN(a->nla_len);
	}
}

static uint32_t ext_mask_of(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a && a->nla_len >= NLA_HDRLEN + 4)
		memcpy(&v, (const uint8_t *)a + NLA_HDRLEN, 4);
	return v;
}

/* Ends a dump: the messages (if any) as one datagram, then NLMSG_DONE
 * with the dump's error (Linux: netlink_dump). */
static int dump_done(const struct rtnl_req *r, struct nlbuf *b, int err, uint16_t answer_flags)
{
	struct nlbuf done = { 0 };
	int32_t e = err;

	if (b->len)
		queue_dgram(r->s, 0, b->p, b->len, true);
	msg_end(&done, msg_begin(&done, NLMSG_DONE, NLM_F_MULTI | answer_flags,
				 r->nlh->nlmsg_seq, r->portid, &e, sizeof(e)));
	if (!done.failed)
		queue_dgram(r->s, 0, done.p, done.len, true);
	free(b->p);
	free(done.p);
	return -EINTR;                   /* a dump: no ack (netlink_dump_start) */
}

/* RTM_GETLINK | NLM_F_DUMP (Linux: rtnl_dump_ifinfo). */
static int dump_links(const struct rtnl_req *r)
{
	const struct nlmsghdr *nlh = r->nlh;
	const struct nlattr *tb[IFLA_MAX + 1];
	struct nlbuf b = { 0 };
	int n, err = 0;

	if (r->s->strict_chk) {
		const struct ifinfomsg *ifm = NLMSG_DATA(nlh);
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)) || ifm->__ifi_pad || ifm->ifi_type ||
		    ifm->ifi_flags || ifm->ifi_change || ifm->ifi_index)
			return dump_done(r, &b, -EINVAL, 0);
	}
	/* Linux: an old request may carry just a struct rtgenmsg. */
	size_t hdrlen = nlh->nlmsg_len - NLMSG_HDRLEN < sizeof(struct ifinfomsg)
			? sizeof(struct rtgenmsg) : sizeof(struct ifinfomsg);
	parse_attrs(nlh, hdrlen, tb, IFLA_MAX);
	const struct netdev *d = netdev_all(&n);
	for (int i = 0; i < n; i++)
		fill_link(&b, r, &d[i], NLM_F_MULTI, ext_mask_of(tb[IFLA_EXT_MASK]));
	if (b.failed)
		err = -ENOMEM;
	return dump_done(r, &b, err, 0);
}

/* RTM_GETADDR | NLM_F_DUMP (Linux: rtnl_dump_all, inet_dump_ifaddr,
 * inet6_dump_ifaddr). */
static int dump_addrs(const struct rtnl_req *r, int family)
{
	const struct nlmsghdr *nlh = r->nlh;
	struct nlbuf b = { 0 };
	uint16_t answer = 0;
	int n, ifindex = 0;

	if (r->s->strict_chk) {
		const struct ifaddrmsg *ifm = NLMSG_DATA(nlh);
		const struct nlattr *tb[IFA_MAX + 1];
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)) || ifm->ifa_prefixlen ||
		    ifm->ifa_flags || ifm->ifa_scope)
			return dump_done(r, &b, -EINVAL, 0);
		parse_attrs(nlh, sizeof(*ifm), tb, IFA_MAX);
		for (int i = 0; i <= IFA_MAX; i++)
			if (tb[i] && i != IFA_TARGET_NETNSID)
				return dump_done(r, &b, -EINVAL, 0);
		ifindex = (int)ifm->ifa_index;
		if (ifindex)
			answer = NLM_F_DUMP_FILTERED;
		if (ifindex && !netdev_by_index(ifindex))
			return dump_done(r, &b, -ENODEV, answer);
	}
	const struct netdev *d = netdev_all(&n);
	for (int pass = 0; pass < 2; pass++) {
		int fam = pass ? AF_INET6 : AF_INET;
		if (family != AF_UNSPEC && (family == AF_INET || family == AF_INET6) && family != fam)
			continue;
		for (int i = 0; i < n; i++)
			if (!ifindex || d[i].ifindex == ifindex)
				fill_addr(&b, r, &d[i], fam, NLM_F_MULTI | answer);
	}
	return dump_done(r, &b, b.failed ? -ENOMEM : 0, answer);
}

/* RTM_GETLINK without NLM_F_DUMP (Linux: rtnl_getlink). */
static int get_link(const struct rtnl_req *r)
{
	const struct nlmsghdr *nlh = r->nlh;
	const struct ifinfomsg *ifm = NLMSG_DATA(nlh);
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct netdev *d = NULL;
	struct nlbuf b = { 0 };

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)))
		return -EINVAL;
	if (r->s->strict_chk && (ifm->__ifi_pad || ifm->ifi_type || ifm->ifi_flags ||
				 ifm->ifi_change))
		return -EINVAL;
	parse_attrs(nlh, sizeof(*ifm), tb, IFLA_MAX);
	const struct nlattr *name = tb[IFLA_IFNAME] ? tb[IFLA_IFNAME] : tb[IFLA_ALT_IFNAME];
	if (ifm->ifi_index > 0) {
		d = netdev_by_index(ifm->ifi_index);
	} else if (name) {
		char buf[IFNAMSIZ];
		size_t len = name->nla_len - NLA_HDRLEN;
		if (len > IFNAMSIZ)          /* IFNAMSIZ - 1 and a NUL (ifla_policy) */
			return -ERANGE;
		memcpy(buf, (const uint8_t *)name + NLA_HDRLEN, len);
		buf[MIN(len, (size_t)IFNAMSIZ - 1)] = 0;
		d = netdev_by_name(buf);
	} else {
		return -EINVAL;
	}
	if (!d)
		return -ENODEV;
	fill_link(&b, r, d, 0, ext_mask_of(tb[IFLA_EXT_MASK]));
	if (!b.failed)
		queue_dgram(r->s, 0, b.p, b.len, false);
	free(b.p);
	return b.failed ? -ENOMEM : 0;
}

/* One request (Linux: rtnetlink_rcv_msg): 0, -EINTR for a dump (no
 * ack), or the error to answer. */
static int rtnl_msg(const struct rtnl_req *r, struct task *t)
{
	const struct nlmsghdr *nlh = r->nlh;
	int type = nlh->nlmsg_type;

	if (type > RTM_MAX)
		return -EOPNOTSUPP;
	if (nlh->nlmsg_len - NLMSG_HDRLEN < sizeof(struct rtgenmsg))
		return 0;                /* "at least 1 byte": ignored */
	int family = ((const struct rtgenmsg *)NLMSG_DATA(nlh))->rtgen_family;
	int kind = (type - RTM_BASE) & 3;
	if (kind != 2 /* RTNL_KIND_GET */)
		return capable(t, CAP_NET_ADMIN) ? -EOPNOTSUPP : -EPERM;
	if (nlh->nlmsg_flags & NLM_F_DUMP) {
		if (type == RTM_GETLINK)
			return dump_links(r);
		if (type == RTM_GETADDR)
			return dump_addrs(r, family);
		return -EOPNOTSUPP;
	}
	if (type == RTM_GETLINK)
		return get_link(r);
	return -EOPNOTSUPP;
}

/* NLMSG_ERROR for a request: err (0: an ack), and the request (its
 * header alone for an ack or with NETLINK_CAP_ACK).  Linux: netlink_ack. */
static void send_ack(const struct rtnl_req *r, int err)
{
	const struct nlmsghdr *nlh = r->nlh;
	struct nlbuf b = { 0 };
	uint16_t flags = 0;
	size_t copy = sizeof(*nlh);

	if (err && !r->s->cap_ack)
		copy = nlh->nlmsg_len;
	else
		flags |= NLM_F_CAPPED;
	struct nlmsgerr *e = NULL;
	size_t off = msg_begin(&b, NLMSG_ERROR, flags, nlh->nlmsg_seq, r->portid, NULL, 0);
	if (!b.failed && (e = buf_put(&b, NULL, sizeof(e->error) + copy)) != NULL) {
		e->error = err;
		memcpy(&e->msg, nlh, copy);
	}
	msg_end(&b, off);
	if (!b.failed)
		queue_dgram(r->s, 0, b.p, b.len, false);
	free(b.p);
}

/* A datagram sent to the kernel (Linux: netlink_rcv_skb), nl_lock held. */
static void rtnl_rcv(struct nlsock *s, struct task *t, const uint8_t *data, size_t len)
{
	while (len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const void *)data;
		struct rtnl_req r = { s, nlh, s->portid };
		int err = 0;

		if (nlh->nlmsg_len < NLMSG_HDRLEN || len < nlh->nlmsg_len)
			return;
		/* Only requests are handled; control messages are skipped. */
		if ((nlh->nlmsg_flags & NLM_F_REQUEST) && nlh->nlmsg_type >= NLMSG_MIN_TYPE)
			err = rtnl_msg(&r, t);
		if (err != -EINTR && ((nlh->nlmsg_flags & NLM_F_ACK) || err))
			send_ack(&r, err);
		size_t step = MIN((size_t)NLMSG_ALIGN(nlh->nlmsg_len), len);
		data += step;
		len -= step;
	}
}

/* ---- socket operations ---- */

/* Linux: netlink_sendmsg. */
static long nl_sendmsg(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
		       struct file **fds, int nfds, int flags, const struct sockaddr *to,
		       socklen_t tolen)
{
	struct nlsock *s = f->priv;
	uint32_t dst;
	size_t len = 0;
	long err = 0;

	(void)fds;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (!len)
		return -ENODATA;
	if (nfds)
		return -EINVAL;          /* scm_send: no SCM_RIGHTS here */
	pthread_mutex_lock(&nl_lock);
	dst = s->dst_portid;
	if (to) {
		const struct sockaddr_nl *nl = (const struct sockaddr_nl *)to;
		if (tolen < sizeof(*nl) || nl->nl_family != AF_NETLINK)
			err = -EINVAL;
		else if ((nl->nl_pid || nl->nl_groups) && !capable(t, CAP_NET_ADMIN))
			err = -EPERM;    /* NETLINK_ROUTE lacks NL_CFG_F_NONROOT_SEND */
		dst = nl->nl_pid;
	}
	if (!err && !s->bound)
		err = port_insert(s, t, 0);
	if (!err && len > (size_t)s->sndbuf - 32)
		err = -EMSGSIZE;
	pthread_mutex_unlock(&nl_lock);
	if (err)
		return err;
	uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOBUFS;
	if (mm_copy_iovec(t->mm, iov, iovcnt, 0, buf, len, true)) {
		free(buf);
		return -EFAULT;
	}
	pthread_mutex_lock(&nl_lock);
	if (dst) {
		struct nlsock *p = port_lookup(dst);
		err = p ? queue_dgram(p, s->portid, buf, len, true) : -ECONNREFUSED;
	} else {
		rtnl_rcv(s, t, buf, len);
	}
	pthread_mutex_unlock(&nl_lock);
	free(buf);
	return err ? err : (long)len;
}

/* Linux: netlink_recvmsg. */
static long nl_recvmsg(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
		       struct unix_rights *rights, struct ucred *cred, int flags, int *msg_flags,
		       struct sockaddr_storage *from, socklen_t *fromlen)
{
	struct nlsock *s = f->priv;
	bool nonblock = (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK);
	uint64_t deadline = s->rcvtimeo_ns ? moat_now_ns() + s->rcvtimeo_ns : 0;
	size_t len = 0;
	long ret;

	rights->nfds = 0;
	*msg_flags = 0;
	if (fromlen)
		*fromlen = 0;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	pthread_mutex_lock(&nl_lock);
	for (;;) {
		if (s->err) {
			ret = -s->err;
			s->err = 0;
			goto out;
		}
		if (s->head)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			goto out;
		}
		int w = task_wait_queue(t, &s->wq, &nl_lock, POLLIN | POLLERR, deadline);
		if (w == -EINTR) {
			ret = -ERESTARTSYS;
			goto out;
		}
		if (w == -ETIMEDOUT) {
			ret = -EAGAIN;
			goto out;
		}
	}
	struct nl_dgram *d = s->head;
	size_t n = MIN(len, d->len);
	/* Linux takes the datagram off the queue before copying it: a bad
	 * buffer loses it (skb_recv_datagram, then skb_copy_datagram_msg). */
	ret = mm_copy_iovec(t->mm, iov, iovcnt, 0, d->data, n, false);
	if (!(flags & MSG_PEEK)) {
		s->head = d->next;
		if (!s->head)
			s->tail = &s->head;
		s->queued -= d->len;
	}
	if (ret) {
		if (!(flags & MSG_PEEK))
			free(d);
		goto out;
	}
	if (n < d->len)
		*msg_flags |= MSG_TRUNC;
	ret = (long)((flags & MSG_TRUNC) ? d->len : n);
	if (from && fromlen) {
		struct sockaddr_nl *nl = (struct sockaddr_nl *)from;
		memset(nl, 0, sizeof(*nl));
		nl->nl_family = AF_NETLINK;
		nl->nl_pid = d->portid;
		*fromlen = sizeof(*nl);
	}
	if (cred)                        /* the kernel's, or the sender's */
		*cred = (struct ucred){ 0, 0, 0 };
	if (!(flags & MSG_PEEK))
		free(d);
out:
	pthread_mutex_unlock(&nl_lock);
	return ret;
}

/* Linux: netlink_bind. */
static long nl_bind(struct task *t, struct file *f, const struct sockaddr *a, socklen_t len)
{
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)a;
	struct nlsock *s = f->priv;
	long err = 0;

	if (len < sizeof(*nl) || nl->nl_family != AF_NETLINK)
		return -EINVAL;
	pthread_mutex_lock(&nl_lock);
	if (s->bound && nl->nl_pid != s->portid)
		err = -EINVAL;
	else if (!s->bound)
		err = port_insert(s, t, nl->nl_pid);
	if (!err)
		s->groups = nl->nl_groups;
	pthread_mutex_unlock(&nl_lock);
	return err;
}

/* Linux: netlink_connect. */
static long nl_connect(struct task *t, struct file *f, const struct sockaddr *a, socklen_t len)
{
	const struct sockaddr_nl *nl = (const struct sockaddr_nl *)a;
	struct nlsock *s = f->priv;
	long err = 0;

	if (len < sizeof(sa_family_t))
		return -EINVAL;
	pthread_mutex_lock(&nl_lock);
	if (a->sa_family == AF_UNSPEC) {
		s->dst_portid = s->dst_groups = 0;
	} else if (a->sa_family != AF_NETLINK || len < sizeof(*nl)) {
		err = -EINVAL;
	} else if ((nl->nl_pid || nl->nl_groups) && !capable(t, CAP_NET_ADMIN)) {
		err = -EPERM;
	} else {
		if (!s->bound)
			err = port_insert(s, t, 0);
		if (!err) {
			s->dst_portid = nl->nl_pid;
			s->dst_groups = nl->nl_groups ? 1u << (__builtin_ffs((int)nl->nl_groups) - 1) : 0;
		}
	}
	pthread_mutex_unlock(&nl_lock);
	return err;
}

static long nl_listen(struct file *f, int backlog)
{
	(void)f;
	(void)backlog;
	return -EOPNOTSUPP;
}

static long nl_accept(struct task *t, struct file *f, int flags, struct file **out,
		      struct sockaddr_storage *peer, socklen_t *peerlen)
{
	(void)t, (void)f, (void)flags, (void)out, (void)peer, (void)peerlen;
	return -EOPNOTSUPP;
}

/* Linux: netlink_getname. */
static long nl_name(struct file *f, bool peer, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_nl *nl = (struct sockaddr_nl *)ss;
	struct nlsock *s = f->priv;

	memset(nl, 0, sizeof(*nl));
	nl->nl_family = AF_NETLINK;
	pthread_mutex_lock(&nl_lock);
	nl->nl_pid = peer ? s->dst_portid : s->portid;
	nl->nl_groups = peer ? s->dst_groups : s->groups;
	pthread_mutex_unlock(&nl_lock);
	*len = sizeof(*nl);
	return 0;
}

static int nl_shutdown(struct file *f, int how)
{
	(void)f;
	(void)how;
	return -EOPNOTSUPP;              /* sock_no_shutdown */
}

/* The NETLINK_* flag option name, or NULL. */
static bool *nl_flag(struct nlsock *s, int name)
{
	switch (name) {
	case NETLINK_PKTINFO: return &s->pktinfo;
	case NETLINK_BROADCAST_ERROR: return &s->broadcast_error;
	case NETLINK_NO_ENOBUFS: return &s->no_enobufs;
	case NETLINK_LISTEN_ALL_NSID: return &s->listen_all_nsid;
	case NETLINK_CAP_ACK: return &s->cap_ack;
	case NETLINK_EXT_ACK: return &s->ext_ack;
	case NETLINK_GET_STRICT_CHK: return &s->strict_chk;
	default: return NULL;
	}
}

/* SOL_SOCKET (sock_getsockopt) and SOL_NETLINK (netlink_getsockopt). */
static int nl_getsockopt(struct task *t, struct file *f, int level, int name, uint32_t optlen,
			 int *val, struct ucred *cred)
{
	struct nlsock *s = f->priv;
	bool *flag;

	(void)t;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_TYPE: *val = s->type; return 0;
		case SO_DOMAIN: *val = AF_NETLINK; return 0;
		case SO_PROTOCOL: *val = NETLINK_ROUTE; return 0;
		case SO_ERROR:
			pthread_mutex_lock(&nl_lock);
			*val = s->err;
			s->err = 0;
			pthread_mutex_unlock(&nl_lock);
			return 0;
		case SO_RCVBUF: *val = s->rcvbuf; return 0;
		case SO_SNDBUF: *val = s->sndbuf; return 0;
		case SO_PASSCRED: *val = s->passcred; return 0;
		case SO_ACCEPTCONN: case SO_REUSEADDR: *val = 0; return 0;
		case SO_PEERCRED:        /* nobody's: no pid, the overflow ids */
			*cred = (struct ucred){ 0, 65534, 65534 };
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level != SOL_NETLINK_K)
		return -ENOPROTOOPT;
	flag = nl_flag(s, name);
	if (!flag && name != NETLINK_LIST_MEMBERSHIPS)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	/* NETLINK_LIST_MEMBERSHIPS: the first 32 groups (Linux writes as
	 * many words as there are groups). */
	*val = flag ? *flag : (int)s->groups;
	return 0;
}

static int nl_setsockopt(struct task *t, struct file *f, int level, int name, int val,
			 uint32_t optlen, uint64_t timeo_ns)
{
	struct nlsock *s = f->priv;
	bool *flag;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVBUF:
		case SO_SNDBUF:
		case SO_RCVBUFFORCE:
		case SO_SNDBUFFORCE: {
			/* Linux doubles the value, within limits. */
			int v = (int)MIN(MAX((int64_t)val * 2, 2304), (int64_t)INT32_MAX);
			if ((name == SO_RCVBUFFORCE || name == SO_SNDBUFFORCE) &&
			    !capable(t, CAP_NET_ADMIN))
				return -EPERM;
			pthread_mutex_lock(&nl_lock);
			if (name == SO_RCVBUF || name == SO_RCVBUFFORCE)
				s->rcvbuf = v;
			else
				s->sndbuf = v;
			pthread_mutex_unlock(&nl_lock);
			return 0;
		}
		case SO_PASSCRED: s->passcred = val != 0; return 0;
		case SO_RCVTIMEO: s->rcvtimeo_ns = timeo_ns; return 0;
		case SO_SNDTIMEO: s->sndtimeo_ns = timeo_ns; return 0;
		case SO_REUSEADDR: case SO_KEEPALIVE: case SO_LINGER: case SO_ATTACH_FILTER:
		case SO_DETACH_FILTER: case SO_PRIORITY: case SO_TIMESTAMP:
			return 0;
		default:
			return -ENOPROTOOPT;
		}
	}
	if (level != SOL_NETLINK_K)
		return -ENOPROTOOPT;
	(void)optlen;                    /* val is 0 when optlen < sizeof(int) */
	switch (name) {
	case NETLINK_ADD_MEMBERSHIP:
	case NETLINK_DROP_MEMBERSHIP:
		/* Groups past 32 are kept nowhere: nothing is ever sent. */
		if (val < 0 || val > RTNLGRP_MAX)
			return -EINVAL;
		if (!val)
			return 0;
		pthread_mutex_lock(&nl_lock);
		if (val <= 32) {
			if (name == NETLINK_ADD_MEMBERSHIP)
				s->groups |= 1u << (val - 1);
			else
				s->groups &= ~(1u << (val - 1));
		}
		pthread_mutex_unlock(&nl_lock);
		return 0;
	}
	flag = nl_flag(s, name);
	if (!flag)
		return -ENOPROTOOPT;
	*flag = val != 0;
	return 0;
}

static bool nl_passcred(struct file *f)
{
	return ((struct nlsock *)f->priv)->passcred;
}

static const struct sock_ops netlink_sock_ops = {
	.family = AF_NETLINK,
	.sendmsg = nl_sendmsg, .recvmsg = nl_recvmsg,
	.bind = nl_bind, .connect = nl_connect, .listen = nl_listen, .accept = nl_accept,
	.name = nl_name, .shutdown = nl_shutdown,
	.getsockopt = nl_getsockopt, .setsockopt = nl_setsockopt, .passcred = nl_passcred,
};

/* ---- the file ---- */

static unsigned nl_poll(struct file *f)
{
	struct nlsock *s = f->priv;
	unsigned ev = POLLOUT | POLLWRNORM;

	pthread_mutex_lock(&nl_lock);
	if (s->head)
		ev |= POLLIN | POLLRDNORM;
	if (s->err)
		ev |= POLLERR;
	pthread_mutex_unlock(&nl_lock);
	return ev;
}

static struct waitq *nl_waitq(struct file *f)
{
	return &((struct nlsock *)f->priv)->wq;
}

static long nl_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct nlsock *s = f->priv;
	int n;

	switch (cmd) {
	case FIONREAD:               /* the next datagram (Linux: datagram sockets) */
		pthread_mutex_lock(&nl_lock);
		n = s->head ? (int)s->head->len : 0;
		pthread_mutex_unlock(&nl_lock);
		return mm_copy_out(t->mm, arg, &n, sizeof(n)) ? -EFAULT : 0;
	default:
		return netdev_ioctl(t, cmd, arg);
	}
}

/* read(2)/write(2) go through sock_rw; these serve sendfile and splice,
 * whose buffers are the sentry's: not supported on netlink (Linux's
 * netlink has no splice_read either). */
static long nl_fop_read(struct file *f, struct task *t, void *buf, size_t len, int64_t *off)
{
	(void)f, (void)t, (void)buf, (void)len, (void)off;
	return -EINVAL;
}

static long nl_fop_write(struct file *f, struct task *t, const void *buf, size_t len,
			 int64_t *off)
{
	(void)f, (void)t, (void)buf, (void)len, (void)off;
	return -EINVAL;
}

static void nl_release(struct file *f)
{
	struct nlsock *s = f->priv;

	pthread_mutex_lock(&nl_lock);
	for (struct nlsock **bp = &nl_bound; *bp; bp = &(*bp)->bound_next)
		if (*bp == s) {
			*bp = s->bound_next;
			break;
		}
	pthread_mutex_unlock(&nl_lock);
	while (s->head) {
		struct nl_dgram *d = s->head;
		s->head = d->next;
		free(d);
	}
	free(s);
}

static const struct file_ops netlink_ops = {
	.read = nl_fop_read, .write = nl_fop_write,
	.ioctl = nl_ioctl, .poll = nl_poll, .waitq = nl_waitq,
	.release = nl_release, .sock = &netlink_sock_ops,
};

/* Linux: netlink_create. */
int netlink_create(struct task *t, int type, int protocol, int flags, struct file **out)
{
	(void)t;
	if (type != SOCK_RAW && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;

	struct nlsock *s = calloc(1, sizeof(*s));
	struct inode *inode = s ? anon_inode_new(S_IFSOCK | 0777, NULL) : NULL;
	struct file *f = inode ? file_new(&netlink_ops, O_RDWR | (flags & O_NONBLOCK), s) : NULL;

	if (!f) {
		if (inode)
			inode_put(inode);
		free(s);
		return -ENOMEM;
	}
	s->type = type;
	s->tail = &s->head;
	s->rcvbuf = s->sndbuf = NL_BUF_DEFAULT;
	waitq_init(&s->wq);
	f->inode = inode;
	f->no_pos = true;
	*out = f;
	return 0;
}
