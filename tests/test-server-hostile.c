/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "osi-archive.h"
#include "osi-test-support.h"

/* osi-backup-server against clients that hold connections: those that
 * send half a request, those that say nothing, those that go quiet
 * between requests, more of them than the cap or than descriptors. The
 * real binary on 127.0.0.1, driven over raw sockets (an HTTP library
 * would not misbehave on purpose), some runs under a lowered
 * RLIMIT_NOFILE. Every wait is bounded. */

#define TOKEN        "hostile-test-token-9c2e"
#define MIB          (1024 * 1024)
/* A connection the server must close is given this long beyond its
 * timeout before the test calls it hung. */
#define SLACK_MS     3000
#define LOW_NOFILE   64
#define SLOW_CLIENTS 120
/* Half a request head, never finished. */
#define HALF_REQUEST "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"

typedef struct
{
  char          *tmp;
  char          *data;
  char          *backups;
  OsiTestServer *server;
  guint16        port;
  GArray        *clients;   /* descriptors of held connections */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  user_data)
{
  f->tmp = osi_test_make_tmpdir ();
  f->data = osi_test_generate_data (f->tmp, MIB, 1);
  f->backups = g_build_filename (f->tmp, "backups", NULL);
  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  f->clients = g_array_new (FALSE, FALSE, sizeof (int));
}

static void
close_clients (Fixture *f)
{
  for (guint i = 0; i < f->clients->len; i++)
    close (g_array_index (f->clients, int, i));
  g_array_set_size (f->clients, 0);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  user_data)
{
  close_clients (f);
  g_array_unref (f->clients);
  osi_test_server_finish (f->server);
  osi_test_remove_tmpdir (f->tmp);
  g_free (f->tmp);
  g_free (f->data);
  g_free (f->backups);
}

/* ------------------------------------------------------------------------ */
/* The server, under a descriptor limit                                     */

/* nofile: RLIMIT_NOFILE for the server, 0 to keep the test's. Extra
 * arguments end with NULL. */
static void
start_server (Fixture    *f,
              guint       nofile,
              const char *first_extra,
              ...)
{
  OsiTestServerOptions options = { .nofile = nofile };
  g_autoptr(GPtrArray) extra = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_extra);
  for (const char *arg = first_extra; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (extra, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (extra, NULL);

  g_assert_null (f->server);
  f->server = osi_test_server_start_full (f->tmp, f->data, f->backups, TOKEN, &options,
                                          (const char * const *)extra->pdata);
  f->port = osi_test_server_port (f->server);
}

static guint
count_server_fds (Fixture *f)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", (int)f->server->pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* ------------------------------------------------------------------------ */
/* Raw HTTP                                                                 */

static gint64
now_ms (void)
{
  return g_get_monotonic_time () / 1000;
}

/* Held until the test closes it (or the server does). On loopback, the
 * kernel completes the handshake as long as the backlog has room, whether
 * or not the server accepts. */
static int
hold_connection (Fixture    *f,
                 const char *sent)
{
  int fd = osi_test_tcp_connect (f->port);

  if (sent != NULL)
    g_assert_cmpint (send (fd, sent, strlen (sent), MSG_NOSIGNAL), ==, (gssize)strlen (sent));
  g_array_append_val (f->clients, fd);
  return fd;
}

static void
send_all (int         fd,
          const void *data,
          gsize       len)
{
  const char *p = data;

  while (len > 0)
    {
      gssize n = send (fd, p, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        g_error ("send: %s", g_strerror (errno));
      p += n;
      len -= (gsize)n;
    }
}

/* Reads until the server closes, at most timeout_ms. Returns whether it
 * closed; what came is appended to out (if given). */
static gboolean
read_until_closed (int      fd,
                   int      timeout_ms,
                   GString *out)
{
  gint64 deadline = now_ms () + timeout_ms;
  char buffer[65536];

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      gint64 left = deadline - now_ms ();
      gssize n;

      if (left <= 0 || poll (&pfd, 1, (int)left) == 0)
        return FALSE;
      n = recv (fd, buffer, sizeof buffer, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET))
        return TRUE;
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        g_error ("recv: %s", g_strerror (errno));
      if (out != NULL)
        g_string_append_len (out, buffer, n);
    }
}

/* One response read whole (by its Content-Length), the connection left
 * open. */
static GString *
read_response (int fd)
{
  GString *response = g_string_new (NULL);
  char buffer[4096];

  for (;;)
    {
      const char *end = strstr (response->str, "\r\n\r\n");
      struct pollfd pfd = { fd, POLLIN, 0 };
      gssize n;

      if (end != NULL)
        {
          g_autofree char *lower = g_ascii_strdown (response->str, end - response->str);
          const char *length = strstr (lower, "\r\ncontent-length:");

          g_assert_nonnull (length);
          if (response->len - (gsize)(end + 4 - response->str) >=
              g_ascii_strtoull (length + strlen ("\r\ncontent-length:"), NULL, 10))
            return response;
        }
      g_assert_cmpint (poll (&pfd, 1, 5000), ==, 1);
      n = recv (fd, buffer, sizeof buffer, 0);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (response, buffer, n);
    }
}

static const char *
body_of (const char *response)
{
  const char *end = strstr (response, "\r\n\r\n");

  g_assert_nonnull (end);
  return end + 4;
}

/* One request on a new connection that the server is asked to close
 * after it; the status (0: no answer within timeout_ms). */
static guint
http_call (Fixture    *f,
           const char *method,
           const char *path,
           int         timeout_ms,
           char      **out_response)
{
  g_autofree char *request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Authorization: Bearer " TOKEN "\r\n"
                                              "Connection: close\r\n\r\n",
                                              method, path, f->port);
  g_autoptr(GString) response = g_string_new (NULL);
  int fd = osi_test_tcp_connect (f->port);
  guint status;

  send_all (fd, request, strlen (request));
  read_until_closed (fd, timeout_ms, response);
  close (fd);
  status = osi_test_http_status (response->str);
  if (out_response != NULL)
    *out_response = g_strdup (response->str);
  return status;
}

/* How long until /api/health answers 200, each try bounded, at most
 * limit_ms in all; -1 if it never did. */
static gint64
time_to_health (Fixture *f,
                int      limit_ms)
{
  gint64 start = now_ms ();

  while (now_ms () - start < limit_ms)
    {
      int left = (int)(limit_ms - (now_ms () - start));

      if (http_call (f, "GET", "/api/health", MAX (left, 1), NULL) == 200)
        return now_ms () - start;
      g_usleep (20000);
    }
  return -1;
}

/* How long the server took to close a connection (ms), -1 if it did not
 * within limit_ms. */
static gint64
time_to_close (int    fd,
               gint64 since_ms,
               int    limit_ms)
{
  if (!read_until_closed (fd, limit_ms - (int)(now_ms () - since_ms), NULL))
    return -1;
  return now_ms () - since_ms;
}

/* ------------------------------------------------------------------------ */
/* Timeouts                                                                 */

/* A connection that sends half a request head, or nothing, is closed
 * once --header-timeout has passed, not before; the server goes on
 * answering. */
static void
test_header_timeout (Fixture       *f,
                     gconstpointer  user_data)
{
  gint64 start, half_ms, silent_ms;
  int half, silent;

  start_server (f, 0, "--header-timeout", "1", "--idle-timeout", "30", NULL);
  start = now_ms ();
  half = hold_connection (f, HALF_REQUEST);
  silent = hold_connection (f, NULL);

  half_ms = time_to_close (half, start, 1000 + SLACK_MS);
  silent_ms = time_to_close (silent, start, 1000 + SLACK_MS);
  g_test_message ("half a request closed after %" G_GINT64_FORMAT " ms, silence after %" G_GINT64_FORMAT " ms",
                  half_ms, silent_ms);
  g_assert_cmpint (half_ms, >=, 900);
  g_assert_cmpint (silent_ms, >=, 900);
  g_assert_cmpint (time_to_health (f, 2000), >=, 0);
}

/* Between requests, a kept-alive connection is closed after
 * --idle-timeout (with libsoup before 3.3, which loses such connections,
 * right after its response). */
static void
test_idle_timeout (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *request = NULL;
  g_autoptr(GString) response = NULL;
  gint64 start, closed_ms;
  int fd;

  start_server (f, 0, "--header-timeout", "1", "--idle-timeout", "2", NULL);
  request = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", f->port);
  fd = hold_connection (f, request);
  /* the whole response, then silence */
  response = read_response (fd);
  g_assert_cmpuint (osi_test_http_status (response->str), ==, 200);
  start = now_ms ();
  closed_ms = time_to_close (fd, start, 2000 + SLACK_MS);
  g_test_message ("idle connection closed %" G_GINT64_FORMAT " ms after its response", closed_ms);
  g_assert_cmpint (closed_ms, >=, 0);
}

/* Clients that make a request, keep the connection, then close it: the
 * server lets go of each connection (libsoup 3.2 alone kept every such
 * descriptor open for good, and ran out after ~1000 curl calls), also
 * after a 100 Continue. */
static void
test_closed_between_requests (Fixture       *f,
                              gconstpointer  user_data)
{
  g_autofree char *request = NULL;
  guint before, after;
  gint64 deadline;

  start_server (f, 0, NULL);
  request = g_strdup_printf ("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", f->port);
  g_assert_cmpint (time_to_health (f, 5000), >=, 0);
  before = count_server_fds (f);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GString) response = NULL;
      int fd = osi_test_tcp_connect (f->port);

      send_all (fd, request, strlen (request));
      /* the response, then the client goes */
      response = read_response (fd);
      g_assert_cmpuint (osi_test_http_status (response->str), ==, 200);
      close (fd);
    }
  /* and with a 100 Continue first (curl's way for bodies over 1 MiB) */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *head = g_strdup_printf ("POST /api/rag/backup/upload?filename=bad%u.tar.zst HTTP/1.1\r\n"
                                               "Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                                               "Content-Length: 12\r\nExpect: 100-continue\r\n\r\n", i, f->port);
      g_autoptr(GString) response = NULL;
      char interim[256];
      gsize got = 0;
      int fd = osi_test_tcp_connect (f->port);

      send_all (fd, head, strlen (head));
      while (got < 4 || memcmp (interim + got - 4, "\r\n\r\n", 4) != 0)
        {
          struct pollfd pfd = { fd, POLLIN, 0 };

          g_assert_cmpuint (got, <, sizeof interim);
          g_assert_cmpint (poll (&pfd, 1, 5000), ==, 1);
          /* byte by byte: not a byte of the final response */
          g_assert_cmpint (recv (fd, interim + got, 1, 0), ==, 1);
          got++;
        }
      g_assert_true (g_str_has_prefix (interim, "HTTP/1.1 100 "));
      send_all (fd, "not a backup", 12);
      response = read_response (fd);
      g_assert_cmpuint (osi_test_http_status (response->str), ==, 422);
      close (fd);
    }
  deadline = now_ms () + 5000;
  while ((after = count_server_fds (f)) > before + 4 && now_ms () < deadline)
    g_usleep (50000);
  g_test_message ("server descriptors: %u before, %u after 120 clients", before, after);
  g_assert_cmpuint (after, <=, before + 4);
}

/* Transfers longer than both timeouts go through as long as they move:
 * an upload sent in pieces, a download read slowly. */
static void
test_slow_transfers (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *archive = g_build_filename (f->tmp, "upload.tar.zst", NULL);
  g_autofree char *big = g_build_filename (f->backups, "big.tar.zst", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *head = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  const guint pieces = 20;
  gsize len, piece, received = 0;
  gint64 start;
  int fd, rcvbuf = 32 * 1024;

  start_server (f, 0, "--header-timeout", "1", "--idle-timeout", "2", NULL);

  /* upload: 20 pieces, 200 ms apart (4 s) */
  osi_test_make_archive (f->data, archive, OSI_COMPRESSION_ZSTD, NULL);
  g_assert_true (g_file_get_contents (archive, &contents, &len, &error));
  g_assert_no_error (error);
  head = g_strdup_printf ("POST /api/rag/backup/upload?filename=trickled.tar.zst HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                          "Content-Type: application/octet-stream\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n", f->port, len);
  start = now_ms ();
  fd = osi_test_tcp_connect (f->port);
  send_all (fd, head, strlen (head));
  piece = (len + pieces - 1) / pieces;
  for (gsize at = 0; at < len; at += piece)
    {
      g_usleep (200000);
      send_all (fd, contents + at, MIN (piece, len - at));
    }
  g_assert_true (read_until_closed (fd, 10000, response));
  close (fd);
  g_test_message ("upload of %zu bytes in %u pieces over %" G_GINT64_FORMAT " ms: %u",
                  len, pieces, now_ms () - start, osi_test_http_status (response->str));
  g_assert_cmpuint (osi_test_http_status (response->str), ==, 201);

  /* download: 6 MiB through a small window, 64 KiB every 25 ms */
  osi_test_write_random_file (big, 6 * MIB, 7);
  g_free (head);
  head = g_strdup_printf ("GET /api/rag/backup?filename=big.tar.zst HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                          "Connection: close\r\n\r\n", f->port);
  fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), ==, 0);
  {
    struct sockaddr_in address = { 0 };

    address.sin_family = AF_INET;
    address.sin_port = htons (f->port);
    address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    g_assert_cmpint (connect (fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  }
  start = now_ms ();
  send_all (fd, head, strlen (head));
  g_string_truncate (response, 0);
  for (;;)
    {
      char buffer[65536];
      struct pollfd pfd = { fd, POLLIN, 0 };
      gssize n;

      g_assert_cmpint (poll (&pfd, 1, 10000), ==, 1);
      n = recv (fd, buffer, sizeof buffer, 0);
      g_assert_cmpint (n, >=, 0);
      if (n == 0)
        break;
      if (strstr (response->str, "\r\n\r\n") == NULL)
        g_string_append_len (response, buffer, n);
      else
        received += (gsize)n;
      g_usleep (25000);
    }
  close (fd);
  /* what came with the head (binary: not strlen) */
  received += response->len - (gsize)(body_of (response->str) - response->str);
  g_test_message ("download of %zu bytes over %" G_GINT64_FORMAT " ms", received, now_ms () - start);
  g_assert_cmpuint (osi_test_http_status (response->str), ==, 200);
  g_assert_cmpuint (received, ==, 6 * MIB);
}

/* A restore (verification, safety backup, extraction, swap) that takes
 * longer than both timeouts: the connection waits for the server, not
 * the other way round, and is not closed. */
static void
test_long_restore (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *data_parent = g_build_filename (f->tmp, "big", NULL);
  g_autofree char *archive = g_build_filename (f->backups, "backup_20250101_000000.tar.zst", NULL);
  g_autofree char *body = g_strdup ("{\"backupFile\": \"backup_20250101_000000.tar.zst\"}");
  g_autofree char *request = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  gint64 start;
  int fd;

  /* about 2 s of work on a fast machine */
  g_assert_cmpint (g_mkdir (data_parent, 0700), ==, 0);
  g_free (f->data);
  f->data = osi_test_generate_data (data_parent, 64 * MIB, 3);
  osi_test_make_archive (f->data, archive, OSI_COMPRESSION_ZSTD, NULL);
  start_server (f, 0, "--header-timeout", "1", "--idle-timeout", "1", NULL);

  request = g_strdup_printf ("POST /api/rag/backup/restore HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                             "Authorization: Bearer " TOKEN "\r\nContent-Type: application/json\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                             f->port, strlen (body), body);
  start = now_ms ();
  fd = osi_test_tcp_connect (f->port);
  send_all (fd, request, strlen (request));
  g_assert_true (read_until_closed (fd, 120000, response));
  close (fd);
  g_test_message ("restore answered %u after %" G_GINT64_FORMAT " ms", osi_test_http_status (response->str), now_ms () - start);
  g_assert_cmpuint (osi_test_http_status (response->str), ==, 200);
}

/* ------------------------------------------------------------------------ */
/* The cap, and running out of descriptors                                  */

static void
assert_refused (const char *response)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lower = g_ascii_strdown (response, -1);

  g_assert_cmpuint (osi_test_http_status (response), ==, 503);
  g_assert_nonnull (strstr (lower, "\r\nconnection: close\r\n"));
  g_assert_nonnull (strstr (lower, "\r\ncontent-type: application/json"));
  node = json_from_string (body_of (response), &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  g_assert_cmpuint (strlen (json_object_get_string_member (json_node_get_object (node), "detail")), >, 0);
}

/* Beyond --max-connections, a new connection is answered 503 (JSON, then
 * closed); once the others have gone, requests are served again. */
static void
test_cap (Fixture       *f,
          gconstpointer  user_data)
{
  g_autofree char *response = NULL;
  gint64 start, recovered;

  start_server (f, 0, "--max-connections", "3", "--header-timeout", "60", NULL);
  for (guint i = 0; i < 3; i++)
    hold_connection (f, i == 0 ? HALF_REQUEST : NULL);

  start = now_ms ();
  http_call (f, "GET", "/api/health", 5000, &response);
  g_test_message ("beyond the cap: answered in %" G_GINT64_FORMAT " ms", now_ms () - start);
  assert_refused (response);
  g_clear_pointer (&response, g_free);
  /* and so is the one after */
  http_call (f, "GET", "/api/rag/backup", 5000, &response);
  assert_refused (response);

  close_clients (f);
  recovered = time_to_health (f, 3000);
  g_test_message ("served again %" G_GINT64_FORMAT " ms after the held connections closed", recovered);
  g_assert_cmpint (recovered, >=, 0);
  /* each served request gave its place back */
  for (guint i = 0; i < 6; i++)
    g_assert_cmpuint (http_call (f, "GET", "/api/health", 5000, NULL), ==, 200);
}

/* RLIMIT_NOFILE 64 and no effective cap: slow clients take every
 * descriptor, and libsoup's accept fails. Once they leave, the server
 * accepts again at once (before this fix it never did). */
static void
test_out_of_descriptors (Fixture       *f,
                         gconstpointer  user_data)
{
  gint64 left, recovered;

  start_server (f, LOW_NOFILE, "--max-connections", "1000", NULL);
  g_assert_cmpint (time_to_health (f, 5000), >=, 0);
  for (guint i = 0; i < SLOW_CLIENTS; i++)
    hold_connection (f, HALF_REQUEST);
  /* the server has run out: a request waits in the backlog */
  g_assert_cmpuint (http_call (f, "GET", "/api/health", 1000, NULL), ==, 0);
  g_test_message ("%u slow clients under RLIMIT_NOFILE %u: the server holds %u descriptors",
                  SLOW_CLIENTS, LOW_NOFILE, count_server_fds (f));

  close_clients (f);
  left = now_ms ();
  recovered = time_to_health (f, 10000);
  g_test_message ("/api/health answered %" G_GINT64_FORMAT " ms after the slow clients left",
                  recovered < 0 ? recovered : now_ms () - left);
  g_assert_cmpint (recovered, >=, 0);
  g_assert_cmpint (recovered, <, 5000);
}

/* RLIMIT_NOFILE 64 and the default cap (from that limit): with slow
 * clients holding every place, a new request is answered 503 at once;
 * once they leave, it is served. */
static void
test_slow_clients_default_cap (Fixture       *f,
                               gconstpointer  user_data)
{
  g_autofree char *response = NULL;
  gint64 start, recovered;

  start_server (f, LOW_NOFILE, NULL);
  g_assert_cmpint (time_to_health (f, 5000), >=, 0);
  for (guint i = 0; i < SLOW_CLIENTS; i++)
    hold_connection (f, HALF_REQUEST);

  start = now_ms ();
  http_call (f, "GET", "/api/health", 5000, &response);
  g_test_message ("%u slow clients under RLIMIT_NOFILE %u: the server holds %u descriptors; "
                  "a new request answered in %" G_GINT64_FORMAT " ms",
                  SLOW_CLIENTS, LOW_NOFILE, count_server_fds (f), now_ms () - start);
  assert_refused (response);

  close_clients (f);
  recovered = time_to_health (f, 10000);
  g_test_message ("/api/health answered %" G_GINT64_FORMAT " ms after the slow clients left", recovered);
  g_assert_cmpint (recovered, >=, 0);
  g_assert_cmpint (recovered, <, 5000);
}

/* ------------------------------------------------------------------------ */
/* What else a backup folder may hold                                       */

#define FIFO_BACKUP "backup_20250101_120000.tar.zst"
#define REAL_BACKUP "backup_20250102_120000.tar.zst"

/* A POST with a JSON body on a new connection, closed after; the status
 * (0: no answer within timeout_ms). */
static guint
http_post_json (Fixture    *f,
                const char *path,
                const char *body,
                int         timeout_ms)
{
  g_autofree char *request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                              "Authorization: Bearer " TOKEN "\r\n"
                                              "Content-Type: application/json\r\n"
                                              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                                              path, f->port, strlen (body), body);
  g_autoptr(GString) response = g_string_new (NULL);
  int fd = osi_test_tcp_connect (f->port);

  send_all (fd, request, strlen (request));
  read_until_closed (fd, timeout_ms, response);
  close (fd);
  return osi_test_http_status (response->str);
}

/* Whether the list answers, in time, with REAL_BACKUP and its checksum
 * and without FIFO_BACKUP. */
static void
assert_list_answers (Fixture *f)
{
  g_autofree char *response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *backups;
  gboolean found = FALSE;

  g_assert_cmpuint (http_call (f, "GET", "/api/rag/backup", 10000, &response), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body_of (response), -1, &error));
  g_assert_no_error (error);
  backups = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "backups");
  g_assert_nonnull (backups);
  for (guint i = 0; i < json_array_get_length (backups); i++)
    {
      const char *name = json_object_get_string_member (json_array_get_object_element (backups, i), "name");

      g_assert_cmpstr (name, !=, FIFO_BACKUP);
      found |= g_strcmp0 (name, REAL_BACKUP) == 0;
    }
  g_assert_true (found);
}

/* The list answers, empty, and the folder holds nothing. */
static void
assert_list_answers_empty (Fixture *f)
{
  g_autofree char *response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;

  g_assert_cmpuint (http_call (f, "GET", "/api/rag/backup", 10000, &response), ==, 200);
  g_assert_true (json_parser_load_from_data (parser, body_of (response), -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_node_get_object (json_parser_get_root (parser)), "backups")), ==, 0);
  /* Nothing but the server's catalog (docs/api.md §8.4). */
  dir = g_dir_open (f->backups, 0, &error);
  g_assert_no_error (error);
  for (const char *name = g_dir_read_name (dir); name != NULL; name = g_dir_read_name (dir))
    if (!g_str_has_prefix (name, ".osi-catalog.sqlite"))
      g_error ("%s in the backup folder", name);
}

/* Each action by name on something that is not a regular file of the
 * folder: a 404 in time, never a hang, and the server still answers. */
static void
assert_not_a_backup (Fixture    *f,
                     const char *name)
{
  g_autofree char *query = g_strdup_printf ("?filename=%s", name);
  g_autofree char *download = g_strconcat ("/api/rag/backup", query, NULL);
  g_autofree char *verify = g_strconcat ("/api/rag/backup/verify", query, NULL);
  g_autofree char *diff = g_strconcat ("/api/rag/backup/diff", query, NULL);
  g_autofree char *restore = g_strdup_printf ("{\"backupFile\": \"%s\"}", name);

  g_assert_cmpuint (http_call (f, "GET", download, 10000, NULL), ==, 404);
  g_assert_cmpuint (http_call (f, "GET", verify, 10000, NULL), ==, 404);
  g_assert_cmpuint (http_call (f, "GET", diff, 10000, NULL), ==, 404);
  g_assert_cmpuint (http_post_json (f, "/api/rag/backup/restore", restore, 10000), ==, 404);
  g_assert_cmpuint (http_call (f, "GET", "/api/health", 10000, NULL), ==, 200);
}

static void
make_real_backup (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->backups, REAL_BACKUP, NULL);

  osi_test_make_archive (f->data, path, OSI_COMPRESSION_ZSTD, NULL);
}

/* A FIFO named like a backup: opening it for reading would wait for a
 * writer for ever, on the main loop. */
static void
test_fifo_backup (Fixture       *f,
                  gconstpointer  user_data)
{
  g_autofree char *fifo = g_build_filename (f->backups, FIFO_BACKUP, NULL);

  make_real_backup (f);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  start_server (f, 0, NULL);

  assert_list_answers (f);
  assert_not_a_backup (f, FIFO_BACKUP);
  assert_list_answers (f);
}

/* A FIFO named like a backup's checksum file, read when the list is. */
static void
test_fifo_checksum (Fixture       *f,
                    gconstpointer  user_data)
{
  g_autofree char *fifo = g_build_filename (f->backups, "." REAL_BACKUP ".sha256", NULL);
  g_autofree char *download = g_strdup ("/api/rag/backup?filename=" REAL_BACKUP);
  g_autofree char *response = NULL;

  make_real_backup (f);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  start_server (f, 0, NULL);

  assert_list_answers (f);
  /* the checksum is computed instead, and sent */
  g_assert_cmpuint (http_call (f, "GET", download, 10000, &response), ==, 200);
  g_assert_nonnull (strstr (response, "\r\nRepr-Digest: sha-256=:"));
  g_assert_cmpuint (http_call (f, "GET", "/api/health", 10000, NULL), ==, 200);
}

/* A symbolic link named like a backup, to a valid backup outside the
 * folder: never followed, whatever the action. */
static void
test_symlink_backup (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autofree char *outside = g_build_filename (f->tmp, "outside.tar.zst", NULL);
  g_autofree char *link = g_build_filename (f->backups, FIFO_BACKUP, NULL);

  make_real_backup (f);
  osi_test_make_archive (f->data, outside, OSI_COMPRESSION_ZSTD, NULL);
  g_assert_cmpint (symlink (outside, link), ==, 0);
  start_server (f, 0, NULL);

  assert_list_answers (f);
  assert_not_a_backup (f, FIFO_BACKUP);
}

/* ------------------------------------------------------------------------ */
/* Metadata amplification                                                   */

/* The archive uploaded: 100,000 empty files with 3.8 KB names,
 * ~390 KB that expand to 512 MB of headers. The server grew to 1.6 GB
 * and answered a 387 MB 422; now the reading stops at a limit and the
 * report lists only the start of it. The peak is logged (VmHWM). */
static void
test_upload_metadata_bomb (Fixture       *f,
                           gconstpointer  user_data)
{
  g_autofree char *archive = g_build_filename (f->tmp, "bomb.tar.zst", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *head = NULL;
  g_autofree char *status_path = NULL;
  g_autofree char *status = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *report;
  const char *hwm;
  gsize len;
  int fd;

  osi_test_write_name_bomb (archive, ARCHIVE_FILTER_ZSTD, 100000, 3800, OSI_TEST_NAMES_UNIQUE, FALSE);
  g_assert_true (g_file_get_contents (archive, &contents, &len, &error));
  g_assert_no_error (error);
  start_server (f, 0, NULL);

  head = g_strdup_printf ("POST /api/rag/backup/upload?filename=backup_20250101_120000.tar.zst HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                          "Content-Type: application/octet-stream\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                          f->port, len);
  fd = osi_test_tcp_connect (f->port);
  send_all (fd, head, strlen (head));
  send_all (fd, contents, len);
  g_assert_true (read_until_closed (fd, 120000, response));
  close (fd);

  status_path = g_strdup_printf ("/proc/%d/status", (int)f->server->pid);
  g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
  hwm = strstr (status, "VmHWM:");
  g_assert_nonnull (hwm);
  g_test_message ("%" G_GSIZE_FORMAT " bytes uploaded: %u, a %" G_GSIZE_FORMAT "-byte answer; server peak %.*s",
                  len, osi_test_http_status (response->str), response->len, (int)strcspn (hwm, "\n"), hwm);

  g_assert_cmpuint (osi_test_http_status (response->str), ==, 422);
  /* 1,000 entries of 3.8 KB listed, not 100,000 */
  g_assert_cmpuint (response->len, <, 8 * MIB);
  g_assert_true (json_parser_load_from_data (parser, body_of (response->str), -1, &error));
  g_assert_no_error (error);
  report = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "report");
  g_assert_nonnull (report);
  g_assert_cmpstr (json_object_get_string_member (report, "verdict"), ==, "not_restorable");
  g_assert_cmpint (json_object_get_int_member (report, "files_omitted"), >, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (report, "files")), <=, 1000);
  /* nothing kept */
  assert_list_answers_empty (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/server-hostile/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("timeout/header", test_header_timeout);
  ADD ("timeout/idle", test_idle_timeout);
  ADD ("timeout/slow-transfers-go-through", test_slow_transfers);
  ADD ("timeout/long-restore-goes-through", test_long_restore);
  ADD ("connections/closed-between-requests", test_closed_between_requests);
  ADD ("connections/cap", test_cap);
  ADD ("connections/out-of-descriptors", test_out_of_descriptors);
  ADD ("connections/slow-clients-default-cap", test_slow_clients_default_cap);
  ADD ("files/fifo-backup", test_fifo_backup);
  ADD ("files/fifo-checksum", test_fifo_checksum);
  ADD ("files/symlink-backup", test_symlink_backup);
  ADD ("upload/metadata-bomb", test_upload_metadata_bomb);

  return g_test_run ();
}
