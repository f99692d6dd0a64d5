/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-server"

#include "config.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "osi-server-private.h"

#define DEFAULT_HEADER_TIMEOUT   15      /* seconds */
#define DEFAULT_IDLE_TIMEOUT     60      /* seconds */
#define MAX_DEFAULT_CONNECTIONS  1024
#define REFUSED_HEAD_TIMEOUT     2       /* seconds */
#define RESUME_INTERVAL_MS       100
#define FD_HEADROOM              4
#define MAX_REFUSED_DRAIN        (64 * 1024)
#define REFUSAL_LOG_INTERVAL     (10 * G_USEC_PER_SEC)

typedef enum
{
  WAIT_NONE,       /* the server is working on a request */
  WAIT_HEAD,       /* for a request head */
  WAIT_IDLE,       /* for the next request of a kept-alive connection */
  WAIT_PROGRESS,   /* for a request body or a response to move on */
} Wait;

/* One client connection, as the server tracks it beside libsoup (which
 * keeps its own private): what it waits for and until when. Shared, by
 * reference, between the table of open connections and each of its
 * messages. */
typedef struct
{
  OsiServer *self;       /* NULL once closed */
  GSocket   *socket;
  char      *peer;
  Wait       wait;
  gint64     deadline;   /* monotonic, µs; 0 with WAIT_NONE */
  gboolean   refused;    /* accepted beyond the cap, to be answered 503 */
} Conn;

/* ------------------------------------------------------------------------ */
/* Connections                                                              */

/* libsoup accepts connections on the listening socket and keeps no
 * limit and no timeout of its own: the server tracks each connection
 * from the message libsoup starts on it, closes those that send no
 * request head in time or stop moving, and refuses those beyond the cap.
 * A connection is closed by shutting its socket down: libsoup then sees
 * the end of the stream, finishes the message and lets go of it. */

static void
conn_clear (Conn *conn)
{
  g_clear_object (&conn->socket);
  g_free (conn->peer);
}

static Conn *
conn_ref (Conn *conn)
{
  return g_rc_box_acquire (conn);
}

static void
conn_unref (gpointer data)
{
  g_rc_box_release_full (data, (GDestroyNotify)conn_clear);
}

static void
conn_wait (Conn  *conn,
           Wait   wait,
           guint  seconds)
{
  conn->wait = wait;
  conn->deadline = wait == WAIT_NONE ? 0 : g_get_monotonic_time () + (gint64)seconds * G_USEC_PER_SEC;
}

/* libsoup before 3.3 forgets a kept-alive connection that its client
 * closes between two requests: its descriptor stays open for good, so a
 * thousand curl calls would use them all up. There, each connection
 * carries one request. Set when the head is in (for an early answer)
 * and again when the body is (writing a 100 Continue clears the response
 * headers). */
static void
conn_close_after_response (SoupServerMessage *msg,
                           Conn              *conn)
{
  if (conn->self != NULL && !conn->self->keep_alive)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

static void
conn_got_headers (SoupServerMessage *msg,
                  Conn              *conn)
{
  if (conn->self == NULL)
    return;
  conn_close_after_response (msg, conn);
  /* the body, if any, must keep coming */
  conn_wait (conn, WAIT_PROGRESS, conn->self->idle_timeout);
}

static void
conn_got_chunk (SoupServerMessage *msg,
                GBytes            *chunk,
                Conn              *conn)
{
  if (conn->self != NULL)
    conn_wait (conn, WAIT_PROGRESS, conn->self->idle_timeout);
}

/* The handler runs from here (a create, a restore may take minutes)
 * until the response starts: no deadline meanwhile. */
static void
conn_got_body (SoupServerMessage *msg,
               Conn              *conn)
{
  conn_close_after_response (msg, conn);
  conn_wait (conn, WAIT_NONE, 0);
}

static void
conn_wrote (SoupServerMessage *msg,
            Conn              *conn)
{
  if (conn->self != NULL)
    conn_wait (conn, WAIT_PROGRESS, conn->self->idle_timeout);
}

static void
conn_wrote_body_data (SoupServerMessage *msg,
                      guint              size,
                      Conn              *conn)
{
  conn_wrote (msg, conn);
}

static void
conn_finished (SoupServerMessage *msg,
               Conn              *conn)
{
  if (conn->self != NULL)
    conn_wait (conn, WAIT_IDLE, conn->self->idle_timeout);
}

static void listener_try_resume (OsiServer *self);

static void
conn_closed (SoupServerMessage *msg,
             Conn              *conn)
{
  OsiServer *self = conn->self;

  if (self == NULL)
    return;
  conn->self = NULL;
  conn_wait (conn, WAIT_NONE, 0);
  if (!conn->refused)
    {
      g_assert (self->n_serving > 0);
      self->n_serving--;
    }
  /* the message holds a reference: conn outlives this */
  g_hash_table_remove (self->conns, conn->socket);
  /* a descriptor was just freed */
  if (self->listen_paused)
    listener_try_resume (self);
}

static void
conn_expire (OsiServer *self,
             Conn      *conn)
{
  switch (conn->wait)
    {
    case WAIT_HEAD:
      g_message ("Closing the connection from %s: no complete request head within %u s",
                 conn->peer, conn->refused ? MIN (self->header_timeout, REFUSED_HEAD_TIMEOUT) : self->header_timeout);
      break;
    case WAIT_IDLE:
      g_message ("Closing the connection from %s: idle for %u s", conn->peer, self->idle_timeout);
      break;
    case WAIT_PROGRESS:
      g_message ("Closing the connection from %s: nothing sent or received for %u s", conn->peer, self->idle_timeout);
      break;
    case WAIT_NONE:
    default:
      g_assert_not_reached ();
    }
  conn_wait (conn, WAIT_NONE, 0);
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
}

static gboolean
sweep_connections (gpointer user_data)
{
  OsiServer *self = user_data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer value;

  /* Shutting a socket down only makes libsoup see the end of the stream
   * later: the table does not change under the walk. */
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Conn *conn = value;

      if (conn->wait != WAIT_NONE && now >= conn->deadline)
        conn_expire (self, conn);
    }
  return G_SOURCE_CONTINUE;
}

/* Beyond the cap, a plain connection gets its 503 at once, before the
 * request is even read: a flood of them costs a descriptor for an
 * instant each. What the client sent already is read first, since
 * closing over unread bytes resets the connection and can lose the
 * answer. A TLS connection cannot be answered before its handshake: it
 * goes through libsoup, with a short deadline for its head. */
static void
conn_refuse (OsiServer *self,
             Conn      *conn)
{
  gint64 now = g_get_monotonic_time ();

  conn->refused = TRUE;
  self->refused_unlogged++;
  if (now - self->refusal_logged >= REFUSAL_LOG_INTERVAL)
    {
      g_message ("Refused %u connection(s) with 503: %u open, the most allowed",
                 self->refused_unlogged, self->n_serving);
      self->refusal_logged = now;
      self->refused_unlogged = 0;
    }

  if (self->certificate != NULL)
    {
      conn_wait (conn, WAIT_HEAD, MIN (self->header_timeout, REFUSED_HEAD_TIMEOUT));
      return;
    }
  {
    char buffer[4096];
    gsize drained = 0;
    gssize n;
    gsize len;
    const char *data = g_bytes_get_data (self->refusal, &len);

    while (drained < MAX_REFUSED_DRAIN &&
           (n = g_socket_receive_with_blocking (conn->socket, buffer, sizeof buffer, FALSE, NULL, NULL)) > 0)
      drained += (gsize)n;
    g_socket_send_with_blocking (conn->socket, data, len, FALSE, NULL, NULL);
    g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  }
}

void
_osi_server_respond_refused (SoupServerMessage *msg)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "1");
  _osi_server_respond_error_and_close (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                                       _("Too many connections are open: try again in a moment."));
}

/* Every message: its connection's first (libsoup starts one as soon as
 * it accepts), or the next one of a kept-alive connection, begun. */
void
_osi_server_conn_track (OsiServer         *self,
                        SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Conn *conn;

  if (socket == NULL || self->listen_stopped)
    return;

  conn = g_hash_table_lookup (self->conns, socket);
  if (conn == NULL)
    {
      g_autoptr(GSocketAddress) address = g_socket_get_remote_address (socket, NULL);
      GInetAddress *inet = address != NULL && G_IS_INET_SOCKET_ADDRESS (address)
                             ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)) : NULL;

      conn = g_rc_box_new0 (Conn);
      conn->self = self;
      conn->socket = g_object_ref (socket);
      conn->peer = inet != NULL ? g_inet_address_to_string (inet) : g_strdup ("-");
      g_hash_table_insert (self->conns, socket, conn);
      if (self->n_serving >= self->max_connections)
        conn_refuse (self, conn);
      else
        {
          self->n_serving++;
          conn_wait (conn, WAIT_HEAD, self->header_timeout);
        }
    }
  else if (!conn->refused)
    conn_wait (conn, WAIT_HEAD, self->header_timeout);

  g_object_set_data_full (G_OBJECT (msg), "osi-conn", conn_ref (conn), conn_unref);
  g_signal_connect (msg, "got-headers", G_CALLBACK (conn_got_headers), conn);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (conn_got_chunk), conn);
  g_signal_connect (msg, "got-body", G_CALLBACK (conn_got_body), conn);
  g_signal_connect (msg, "wrote-informational", G_CALLBACK (conn_wrote), conn);
  g_signal_connect (msg, "wrote-headers", G_CALLBACK (conn_wrote), conn);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (conn_wrote), conn);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (conn_wrote_body_data), conn);
  g_signal_connect (msg, "finished", G_CALLBACK (conn_finished), conn);
  g_signal_connect (msg, "disconnected", G_CALLBACK (conn_closed), conn);
}

gboolean
_osi_server_conn_is_refused (SoupServerMessage *msg)
{
  Conn *conn = g_object_get_data (G_OBJECT (msg), "osi-conn");

  return conn != NULL && conn->refused;
}

/* 0 when a few descriptors can be opened now, else why not (EMFILE,
 * ENFILE). An eventfd needs no file system (no /dev in a chroot). */
static int
descriptors_missing (void)
{
  int fds[FD_HEADROOM];
  guint n;
  int saved = 0;

  for (n = 0; n < FD_HEADROOM; n++)
    {
      fds[n] = eventfd (0, EFD_CLOEXEC);
      if (fds[n] < 0)
        {
          saved = errno;
          break;
        }
    }
  while (n > 0)
    close (fds[--n]);
  return saved;
}

static gboolean listener_stalled (GSocket      *socket,
                                  GIOCondition  condition,
                                  gpointer      user_data);

/* libsoup's listener stops for good on the first accept that fails
 * (out of descriptors: EMFILE, ENFILE): it removes its watch and no
 * connection is ever accepted again. This second watch of the same
 * socket, of lower priority, runs only when a connection waits and
 * libsoup's watch is gone: as long as libsoup's is there and the socket
 * is readable, libsoup's runs first and GLib dispatches nothing of
 * lower priority in that iteration. */
static void
listener_watch (OsiServer *self)
{
  g_assert (self->stall_watch == NULL);
  self->stall_watch = g_socket_create_source (self->listen_socket, G_IO_IN, NULL);
  g_source_set_priority (self->stall_watch, G_PRIORITY_LOW);
  g_source_set_callback (self->stall_watch, G_SOURCE_FUNC (listener_stalled), self, NULL);
  g_source_set_static_name (self->stall_watch, "osi-server listener watch");
  g_source_attach (self->stall_watch, g_main_context_get_thread_default ());
}

static gboolean
listener_resume_cb (gpointer user_data)
{
  OsiServer *self = user_data;

  self->resume_source = 0;
  listener_try_resume (self);
  if (self->listen_paused && !self->listen_stopped && self->resume_source == 0)
    self->resume_source = g_timeout_add (RESUME_INTERVAL_MS, listener_resume_cb, self);
  return G_SOURCE_REMOVE;
}

/* Called when a connection closes and on a timer while paused. libsoup
 * cannot restart a listener: a new one takes the same socket (the one
 * that gave up stays, inert, until the server stops). */
static void
listener_try_resume (OsiServer *self)
{
  g_autoptr(GError) error = NULL;

  if (!self->listen_paused || self->listen_stopped || descriptors_missing () != 0)
    return;
  if (!soup_server_listen_socket (self->soup, self->listen_socket, self->listen_flags, &error))
    {
      g_message ("Cannot accept connections again yet: %s", error->message);
      return;
    }
  listener_watch (self);
  self->listen_paused = FALSE;
  g_clear_handle_id (&self->resume_source, g_source_remove);
  g_message ("Accepting connections again after %.1f s",
             (double)(g_get_monotonic_time () - self->paused_since) / G_USEC_PER_SEC);
}

static gboolean
listener_stalled (GSocket      *socket,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  OsiServer *self = user_data;
  int missing = descriptors_missing ();

  g_clear_pointer (&self->stall_watch, g_source_unref);
  self->listen_paused = TRUE;
  self->paused_since = g_get_monotonic_time ();
  g_message ("Not accepting connections for now (%s, %u open): again as soon as descriptors are free",
             missing != 0 ? g_strerror (missing) : "accept failed", g_hash_table_size (self->conns));
  /* Not at once even when descriptors seem free: an accept that fails
   * for another reason would make this loop. */
  if (self->resume_source == 0)
    self->resume_source = g_timeout_add (RESUME_INTERVAL_MS, listener_resume_cb, self);
  return G_SOURCE_REMOVE;
}

void
_osi_server_listener_stop (OsiServer *self)
{
  self->listen_stopped = TRUE;
  if (self->stall_watch != NULL)
    {
      g_source_destroy (self->stall_watch);
      g_clear_pointer (&self->stall_watch, g_source_unref);
    }
  g_clear_handle_id (&self->resume_source, g_source_remove);
  g_clear_handle_id (&self->sweep_source, g_source_remove);
}

/* The most connections by default: what the descriptor limit allows,
 * each connection counted twice (its socket, and the backup it may be
 * sending or receiving), less what the server itself keeps open. */
static guint
default_max_connections (void)
{
  struct rlimit limit;
  rlim_t n, reserve;

  if (getrlimit (RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur == RLIM_INFINITY)
    return MAX_DEFAULT_CONNECTIONS;
  n = limit.rlim_cur;
  reserve = CLAMP (n / 4, 16, 64);
  if (n <= reserve + 2)
    return 1;
  return (guint)MIN ((n - reserve) / 2, MAX_DEFAULT_CONNECTIONS);
}

static GBytes *
refusal_response (void)
{
  g_autoptr(JsonObject) object = _osi_server_error_object (_("Too many connections are open: try again in a moment."));
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *body = json_to_string (node, FALSE);
  char *text = g_strdup_printf ("HTTP/1.1 503 Service Unavailable\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: %zu\r\n"
                                "Cache-Control: no-store\r\n"
                                "Retry-After: 1\r\n"
                                "Connection: close\r\n"
                                "\r\n"
                                "%s", strlen (body), body);

  return g_bytes_new_take (text, strlen (text));
}

/* ------------------------------------------------------------------------ */
/* Requests without a token (loopback only)                                 */

/* A browser can reach a loopback server too: a page elsewhere through
 * DNS rebinding (a name of the attacker's that now resolves to
 * 127.0.0.1, sent as the Host) or by posting to it (cross-site, with its
 * Origin). Without a token, only requests naming this server by a
 * loopback address and its port, from no other web origin, are
 * answered. */
GStrv
_osi_server_local_hosts_for (GInetSocketAddress *address,
                             gboolean            https)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GInetAddress *inet = g_inet_socket_address_get_address (address);
  guint16 port = g_inet_socket_address_get_port (address);
  g_autofree char *literal = g_inet_address_to_string (inet);
  g_autofree char *own = g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
                           ? g_strdup_printf ("[%s]", literal) : g_strdup (literal);
  const char *names[] = { "127.0.0.1", "localhost", "[::1]", own };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *with_port = g_strdup_printf ("%s:%u", names[i], port);

      g_strv_builder_add (builder, with_port);
      /* the default port may go unsaid */
      if (port == (https ? 443 : 80))
        g_strv_builder_add (builder, names[i]);
    }
  return g_strv_builder_end (builder);
}

static gboolean
is_local_host (OsiServer  *self,
               const char *host)
{
  if (host == NULL || self->local_hosts == NULL)
    return FALSE;
  for (guint i = 0; self->local_hosts[i] != NULL; i++)
    if (g_ascii_strcasecmp (host, self->local_hosts[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Answers 403 itself when the request may not come in. */
gboolean
_osi_server_check_local_request (OsiServer         *self,
                                 SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_list (headers, "Host");
  const char *origin = soup_message_headers_get_list (headers, "Origin");

  if (!is_local_host (self, host))
    {
      _osi_server_respond_error_and_close (msg, SOUP_STATUS_FORBIDDEN,
                                           _("Without a token, this server only answers requests addressed to its loopback address and port (Host header)."));
      return FALSE;
    }
  if (origin != NULL)
    {
      const char *rest = NULL;

      if (g_ascii_strncasecmp (origin, "http://", 7) == 0)
        rest = origin + 7;
      else if (g_ascii_strncasecmp (origin, "https://", 8) == 0)
        rest = origin + 8;
      if (rest == NULL || g_ascii_strcasecmp (rest, host) != 0)
        {
          _osi_server_respond_error_and_close (msg, SOUP_STATUS_FORBIDDEN,
                                               _("Without a token, this server refuses requests from other web origins (Origin header)."));
          return FALSE;
        }
    }
  return TRUE;
}

/* A page elsewhere can post a form or text/plain without asking first,
 * never application/json. */
gboolean
_osi_server_check_json_body (SoupServerMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL);

  if (type != NULL && g_ascii_strcasecmp (type, "application/json") == 0)
    return TRUE;
  _osi_server_respond_error_and_close (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                                       _("The request body must be JSON, sent with “Content-Type: application/json”."));
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Set-up and tear-down, for osi-server.c                                  */

void
_osi_server_connections_init (OsiServer *self)
{
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, conn_unref);
}

void
_osi_server_connections_configure (OsiServer              *self,
                                               const OsiServerOptions *options)
{
  self->max_connections = options->max_connections != 0 ? options->max_connections : default_max_connections ();
  self->header_timeout = options->header_timeout != 0 ? options->header_timeout : DEFAULT_HEADER_TIMEOUT;
  self->idle_timeout = options->idle_timeout != 0 ? options->idle_timeout : DEFAULT_IDLE_TIMEOUT;
  self->keep_alive = soup_check_version (3, 3, 0);
  self->refusal = refusal_response ();
}

void
_osi_server_connections_start (OsiServer *self)
{
  listener_watch (self);
  self->sweep_source = g_timeout_add (CLAMP (MIN (self->header_timeout, self->idle_timeout) * 1000 / 4, 50, 1000),
                                      sweep_connections, self);
}

void
_osi_server_connections_dispose (OsiServer *self)
{
  /* Messages still held elsewhere keep their connection's record: it
   * must not point here any more. */
  if (self->conns != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->conns);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        ((Conn *)value)->self = NULL;
      g_hash_table_remove_all (self->conns);
    }
}
