/*
 * net.h: sockets.  A socket is a struct file whose file_ops carry a
 * struct sock_ops (file_ops.sock): the socket syscalls
 * (syscalls/sys_socket.c) copy arguments in and out and call the
 * family's operations.  Families: AF_UNIX (unix.c) and AF_NETLINK of
 * protocol NETLINK_ROUTE (netlink.c), which describes the sandbox's only
 * network device, the loopback (netdev.c).
 */
#ifndef MOAT_NET_H
#define MOAT_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "vfs/vfs.h"

struct task;

/* Descriptors received with a message (SCM_RIGHTS), referenced. */
struct unix_rights {
	struct file **fds;
	int nfds;
};

/*
 * A family's socket operations (Linux: struct proto_ops).  Addresses
 * from the application are in a zeroed struct sockaddr_storage, len
 * bytes of them the application's; names going back are written to a
 * struct sockaddr_storage with their length.  iovecs hold application
 * addresses.  Each returns 0 (or a byte count) or -errno.
 */
struct sock_ops {
	int family;
	/* Sends the iovec, with descriptors (references taken) for
	 * AF_UNIX; to is NULL without an address.  EPIPE also raises
	 * SIGPIPE unless MSG_NOSIGNAL. */
	long (*sendmsg)(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
			struct file **fds, int nfds, int flags, const struct sockaddr *to,
			socklen_t tolen);
	/* Receives into the iovec: *msg_flags gets MSG_TRUNC; descriptors
	 * go to *rights (the caller installs or drops them); *cred (if not
	 * NULL) the sender's credentials; *from and *fromlen (if not NULL) the
	 * sender's name, *fromlen 0 for none. */
	long (*recvmsg)(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
			struct unix_rights *rights, struct ucred *cred, int flags, int *msg_flags,
			struct sockaddr_storage *from, socklen_t *fromlen);
	long (*bind)(struct task *t, struct file *f, const struct sockaddr *a, socklen_t len);
	long (*connect)(struct task *t, struct file *f, const struct sockaddr *a, socklen_t len);
	long (*listen)(struct file *f, int backlog);
	/* A new connection: its file in *out, the client's name in *peer. */
	long (*accept)(struct task *t, struct file *f, int flags, struct file **out,
		       struct sockaddr_storage *peer, socklen_t *peerlen);
	/* getsockname (peer false) and getpeername. */
	long (*name)(struct file *f, bool peer, struct sockaddr_storage *a, socklen_t *len);
	int (*shutdown)(struct file *f, int how);
	/* An int option (SO_PEERCRED: *cred).  optlen is the application's
	 * buffer length. */
	int (*getsockopt)(struct task *t, struct file *f, int level, int name, uint32_t optlen,
			  int *val, struct ucred *cred);
	/* val: the option's int (0 if optlen < sizeof(int)); timeo_ns for
	 * SO_RCVTIMEO/SO_SNDTIMEO. */
	int (*setsockopt)(struct task *t, struct file *f, int level, int name, int val,
			  uint32_t optlen, uint64_t timeo_ns);
	/* Whether received messages carry SCM_CREDENTIALS (SO_PASSCRED). */
	bool (*passcred)(struct file *f);
};

/* The socket operations of f, or NULL if f is not a socket. */
static inline const struct sock_ops *sock_of(struct file *f)
{
	return f->ops->sock;
}

/* socket(2) for a family: type without SOCK_NONBLOCK/SOCK_CLOEXEC,
 * flags O_NONBLOCK or 0; the new file in *out. */
int unix_create(struct task *t, int type, int protocol, int flags, struct file **out);
int netlink_create(struct task *t, int type, int protocol, int flags, struct file **out);

/* A connected pair of type SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. */
int unix_pair(struct task *t, int type, int flags, struct file **a, struct file **b);

#endif
