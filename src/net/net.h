/*
 * net.h: sockets.  Today: AF_UNIX connected pairs (unix.c); the socket
 * syscalls are syscalls/sys_socket.c.
 */
#ifndef MOAT_NET_H
#define MOAT_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct task;
struct file;
struct usock;

/* Descriptors received with a message (SCM_RIGHTS), referenced. */
struct unix_rights {
	struct file **fds;
	int nfds;
};

/* The socket behind f, or NULL. */
struct usock *sock_of(struct file *f);

/* A connected pair of type SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET. */
int unix_pair(struct task *t, int type, int flags, struct file **a, struct file **b);

/* Sends the iovec (application addresses) with descriptors (references
 * taken); returns bytes sent or -errno (EPIPE also raises SIGPIPE unless
 * MSG_NOSIGNAL). */
long unix_send(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
	       struct file **fds, int nfds, int flags);
/* Receives into the iovec; *msg_flags gets MSG_TRUNC; descriptors that
 * came with the data go to *rights (the caller installs or drops them);
 * *cred (if not NULL) gets the sender's credentials. */
long unix_recv(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
	       struct unix_rights *rights, struct ucred *cred, int flags, int *msg_flags);
/* The same with a destination (datagrams) and the sender's name. */
struct sockaddr_un;
long unix_sendto(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
		 struct file **fds, int nfds, int flags, const struct sockaddr_un *to,
		 socklen_t tolen);
long unix_recvfrom(struct task *t, struct file *f, const struct iovec *iov, int iovcnt,
		   struct unix_rights *rights, struct ucred *cred, int flags, int *msg_flags,
		   struct sockaddr_un *from, socklen_t *fromlen);
/* An unbound, unconnected socket. */
int unix_socket(struct task *t, int type, int flags, struct file **out);
long unix_bind(struct task *t, struct file *f, const struct sockaddr_un *a, socklen_t len);
long unix_listen(struct file *f, int backlog);
long unix_connect(struct task *t, struct file *f, const struct sockaddr_un *a, socklen_t len);
/* A new connection: its file in *out, the client's name in *peer. */
long unix_accept(struct task *t, struct file *f, int flags, struct file **out,
		 struct sockaddr_un *peer, socklen_t *peerlen);
/* getsockname (peer false) and getpeername. */
long unix_name(struct file *f, bool peer, struct sockaddr_un *a, socklen_t *len);
int unix_shutdown(struct file *f, int how);
int unix_getsockopt(struct file *f, int name, int *val, struct ucred *cred);
int unix_setsockopt(struct file *f, int name, int val, uint64_t timeo_ns);
bool unix_passcred(struct file *f);

#endif
