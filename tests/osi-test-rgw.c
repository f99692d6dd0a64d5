/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "osi-test-rgw.h"
#include "osi-test-support.h"

/* How long a daemon may take to come up: this only turns a hang into a
 * failure that names it; on this kind of machine the whole cluster is
 * up in about 2.5 s. */
#define READY_S 60
/* Starts of radosgw on another free port when the one picked was taken
 * between its probe and radosgw's bind. */
#define PORT_TRIES 5

struct _OsiTestRgw
{
  char    *dir;
  char    *conf;
  char    *endpoint;
  char    *url;
  char    *bucket;
  char    *access_key;
  char    *secret_key;
  char    *credentials;
  char    *s3cmd_config;
  char    *log;
  guint16  port;
  GPid     mon;
  GPid     osd;
  GPid     rgw;
};

static const char *const tools[] = {
  "monmaptool", "ceph-mon", "ceph-osd", "ceph", "radosgw", "radosgw-admin", "s3cmd",
};

/* In each daemon and tool, before exec: it dies with the test, however
 * the test ends, so that no daemon outlives a failed test. */
static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (1);
}

/* A port nothing listens on now, on 127.0.0.1: the beast frontend of
 * radosgw takes no port 0. Another process may take it before the
 * daemon binds it: the caller retries then. */
static guint16
free_port (void)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  socklen_t length = sizeof address;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *)&address, &length), ==, 0);
  close (fd);
  return ntohs (address.sin_port);
}

/* The last lines of a log, for a failure's message. */
static char *
log_tail (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  const gsize keep = 3000;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return g_strdup_printf ("(no %s)", path);
  if (length <= keep)
    return g_steal_pointer (&contents);
  return g_strdup_printf ("…%s", contents + length - keep);
}

/* The daemon's own log (log file = DIR/$name.log) and what it printed. */
static G_NORETURN void
daemon_failed (OsiTestRgw *self,
               const char *name,
               const char *what)
{
  g_autofree char *log_path = g_strdup_printf ("%s/%s.log", self->dir, name);
  g_autofree char *out_path = g_strdup_printf ("%s/%s.out", self->dir, name);
  g_autofree char *log = log_tail (log_path);
  g_autofree char *out = log_tail (out_path);

  g_error ("%s %s; the end of %s:\n%s\nthe end of %s:\n%s", name, what, log_path, log, out_path, out);
}

/* Runs a Ceph tool or s3cmd to its end; a failure ends the test with
 * what it printed. */
static char *
run_tool (OsiTestRgw         *self,
          const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *command = g_strjoinv (" ", (char **)argv);
  int status = 0;

  if (!g_spawn_sync (self->dir, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                     child_setup, GINT_TO_POINTER (getpid ()), &out, &err, &status, &error))
    g_error ("%s: %s", command, error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s: %s\n%s%s", command, error->message, out, err);
  return g_steal_pointer (&out);
}

/* A daemon in the foreground (-f), its standard output and error in
 * DIR/NAME.out. */
static GPid
spawn_daemon (OsiTestRgw         *self,
              const char         *name,
              const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out_path = g_strdup_printf ("%s/%s.out", self->dir, name);
  int fd = open (out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  GPid pid = 0;

  g_assert_cmpint (fd, >=, 0);
  g_spawn_async_with_pipes_and_fds (self->dir, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                    child_setup, GINT_TO_POINTER (getpid ()), -1, fd, fd, NULL, NULL, 0,
                                    &pid, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  close (fd);
  osi_test_track_server (0, pid);
  return pid;
}

static void
kill_daemon (GPid *pid)
{
  int status = 0;

  if (*pid <= 0)
    return;
  kill (*pid, SIGKILL);
  osi_test_track_server (*pid, 0);
  g_assert_cmpint (waitpid (*pid, &status, 0), ==, *pid);
  g_spawn_close_pid (*pid);
  *pid = 0;
}

/* Whether the daemon has exited (then reaped, *pid 0). */
static gboolean
daemon_exited (GPid *pid)
{
  int status = 0;

  if (waitpid (*pid, &status, WNOHANG) != *pid)
    return FALSE;
  osi_test_track_server (*pid, 0);
  g_spawn_close_pid (*pid);
  *pid = 0;
  return TRUE;
}

/* An anonymous ListAllMyBuckets: 200 once radosgw serves S3. */
static gboolean
gateway_answers (guint16 port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
  static const char request[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  const struct timeval timeout = { 1, 0 };
  char answer[64] = "";
  gsize got = 0;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok = FALSE;

  g_assert_cmpint (fd, >=, 0);
  /* Something else may hold the port and never answer (radosgw could
   * not bind it, then exits): the caller must see that. */
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), ==, 0);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout), ==, 0);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *)&address, sizeof address) == 0
      && write (fd, request, sizeof request - 1) == sizeof request - 1)
    {
      for (;;)
        {
          ssize_t n = read (fd, answer + got, sizeof answer - 1 - got);

          if (n <= 0)
            break;
          got += n;
          if (got == sizeof answer - 1)
            break;
        }
      answer[got] = '\0';
      ok = g_str_has_prefix (answer, "HTTP/1.1 200") || g_str_has_prefix (answer, "HTTP/1.0 200");
    }
  close (fd);
  return ok;
}

/* Whether something listens on 127.0.0.1:port. */
static gboolean
port_listens (guint16 port)
{
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok;

  g_assert_cmpint (fd, >=, 0);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = connect (fd, (struct sockaddr *)&address, sizeof address) == 0;
  close (fd);
  return ok;
}

/* The mon listens on both its ports, or has exited (a port taken
 * between its probe and the mon's bind): a clear failure then, rather
 * than the ceph tool's wait for a mon that is not there. */
static void
wait_for_mon (OsiTestRgw *self,
              guint16     v2,
              guint16     v1)
{
  gint64 deadline = g_get_monotonic_time () + READY_S * G_USEC_PER_SEC;

  while (!port_listens (v2) || !port_listens (v1))
    {
      if (daemon_exited (&self->mon))
        daemon_failed (self, "mon.a", "exited before it listened");
      if (g_get_monotonic_time () > deadline)
        daemon_failed (self, "mon.a", "did not listen within " G_STRINGIFY (READY_S) " s");
      g_usleep (20 * 1000);
    }
}

/* Starts radosgw on self->port and waits until it answers. FALSE when it
 * exited before (its port taken, most likely), when may_fail. */
static gboolean
run_gateway (OsiTestRgw *self,
             gboolean    may_fail)
{
  g_autofree char *frontends = g_strdup_printf ("--rgw-frontends=beast endpoint=127.0.0.1:%u", self->port);
  const char *argv[] = { "radosgw", "-c", self->conf, "-n", "client.rgw", "-f", frontends, NULL };
  gint64 deadline;

  self->rgw = spawn_daemon (self, "client.rgw", argv);
  deadline = g_get_monotonic_time () + READY_S * G_USEC_PER_SEC;
  while (!gateway_answers (self->port))
    {
      if (daemon_exited (&self->rgw))
        {
          if (may_fail)
            return FALSE;
          daemon_failed (self, "client.rgw", "exited before it answered");
        }
      if (self->mon > 0 && daemon_exited (&self->mon))
        daemon_failed (self, "mon.a", "exited while radosgw started");
      if (self->osd > 0 && daemon_exited (&self->osd))
        daemon_failed (self, "osd.0", "exited while radosgw started");
      if (g_get_monotonic_time () > deadline)
        daemon_failed (self, "client.rgw", "did not answer within " G_STRINGIFY (READY_S) " s");
      g_usleep (50 * 1000);
    }
  return TRUE;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
}

OsiTestRgw *
osi_test_rgw_start (const char *tmp_dir)
{
  return osi_test_rgw_start_sized (tmp_dir, 1024 * 1024 * 1024);
}

OsiTestRgw *
osi_test_rgw_start_sized (const char *tmp_dir,
                          guint64     memstore_bytes)
{
  g_autoptr(OsiTestRgw) self = NULL;
  g_autofree char *fsid = g_uuid_string_random ();
  g_autofree char *osd_uuid = g_uuid_string_random ();
  g_autofree char *mon_addr = NULL;
  g_autofree char *conf_text = NULL;
  g_autofree char *monmap = NULL;
  g_autofree char *mon_data = NULL;
  g_autofree char *osd_data = NULL;
  g_autofree char *text = NULL;
  g_autofree char *access_arg = NULL;
  g_autofree char *secret_arg = NULL;
  g_autofree char *bucket_arg = NULL;
  g_autofree char *out = NULL;
  guint16 mon_v2 = free_port ();
  guint16 mon_v1 = free_port ();

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *found = g_find_program_in_path (tools[i]);

      if (found == NULL)
        {
          g_autofree char *what = g_strdup_printf ("no %s (Debian: ceph-mon ceph-osd radosgw ceph-common s3cmd)",
                                                   tools[i]);

          osi_test_missing (what);
          return NULL;
        }
    }

  self = g_new0 (OsiTestRgw, 1);
  self->dir = g_build_filename (tmp_dir, "rgw-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (self->dir));
  self->conf = g_build_filename (self->dir, "ceph.conf", NULL);
  self->log = g_build_filename (self->dir, "client.rgw.log", NULL);
  monmap = g_build_filename (self->dir, "monmap", NULL);
  mon_data = g_build_filename (self->dir, "mon", NULL);
  osd_data = g_build_filename (self->dir, "osd", NULL);
  g_assert_cmpint (g_mkdir (osd_data, 0700), ==, 0);

  /* DESIGN §7: the mon's address as a v2+v1 pair and "crc secure" for
   * its clients, or they try v1 alone and wait; a short paxos interval;
   * pools of one replica on one OSD (radosgw makes its own). */
  mon_addr = g_strdup_printf ("[v2:127.0.0.1:%u,v1:127.0.0.1:%u]", mon_v2, mon_v1);
  conf_text = g_strdup_printf ("[global]\n"
                               "fsid = %s\n"
                               "mon host = %s\n"
                               "mon initial members = a\n"
                               "auth cluster required = none\n"
                               "auth service required = none\n"
                               "auth client required = none\n"
                               "ms mon client mode = crc secure\n"
                               "mon allow pool size one = true\n"
                               "mon warn on pool no redundancy = false\n"
                               "osd pool default size = 1\n"
                               "osd pool default min size = 1\n"
                               "osd pool default pg num = 8\n"
                               "osd pool default pgp num = 8\n"
                               "osd crush chooseleaf type = 0\n"
                               "paxos propose interval = 0.01\n"
                               "run dir = %s\n"
                               "admin socket = %s/$name.asok\n"
                               "log file = %s/$name.log\n"
                               "pid file = %s/$name.pid\n"
                               "[mon.a]\n"
                               "mon data = %s\n"
                               "[osd.0]\n"
                               "osd data = %s\n"
                               "osd objectstore = memstore\n"
                               "memstore device bytes = %" G_GUINT64_FORMAT "\n",
                               fsid, mon_addr, self->dir, self->dir, self->dir, self->dir,
                               mon_data, osd_data, memstore_bytes);
  write_file (self->conf, conf_text);

  /* The mon. */
  g_free (run_tool (self, (const char *[]){ "monmaptool", "--create", "--fsid", fsid, "--addv", "a", mon_addr,
                                            monmap, NULL }));
  g_free (run_tool (self, (const char *[]){ "ceph-mon", "-c", self->conf, "-i", "a", "--mkfs", "--monmap", monmap,
                                            NULL }));
  self->mon = spawn_daemon (self, "mon.a", (const char *[]){ "ceph-mon", "-c", self->conf, "-i", "a", "-f", NULL });
  wait_for_mon (self, mon_v2, mon_v1);

  /* The OSD: its id from the mon (which waits for the mon), its store,
   * then the daemon, which puts itself in the CRUSH map. */
  out = run_tool (self, (const char *[]){ "ceph", "-c", self->conf, "--connect-timeout", G_STRINGIFY (READY_S),
                                          "osd", "new", osd_uuid, NULL });
  if (daemon_exited (&self->mon))
    daemon_failed (self, "mon.a", "exited");
  g_assert_cmpstr (g_strstrip (out), ==, "0");
  g_free (run_tool (self, (const char *[]){ "ceph-osd", "-c", self->conf, "-i", "0", "--mkfs", "--osd-uuid", osd_uuid,
                                            NULL }));
  self->osd = spawn_daemon (self, "osd.0", (const char *[]){ "ceph-osd", "-c", self->conf, "-i", "0", "-f", NULL });

  /* The gateway, which waits for the OSD to make its pools. */
  for (guint i = 0;; i++)
    {
      self->port = free_port ();
      if (run_gateway (self, i + 1 < PORT_TRIES))
        break;
      g_test_message ("radosgw exited before it answered on port %u; another port", self->port);
    }
  self->endpoint = g_strdup_printf ("http://127.0.0.1:%u", self->port);

  /* The user, its keys (a secret with the characters a signature must
   * survive), and the bucket. */
  self->access_key = g_strdup ("OSITESTACCESSKEY");
  self->secret_key = g_strdup ("osi/Test+secret=Key0123456789abcdefghij");
  self->bucket = g_strdup ("osi-test");
  self->url = g_strdup_printf ("%s/%s", self->endpoint, self->bucket);
  access_arg = g_strdup_printf ("--access-key=%s", self->access_key);
  secret_arg = g_strdup_printf ("--secret-key=%s", self->secret_key);
  g_free (out);
  out = run_tool (self, (const char *[]){ "radosgw-admin", "-c", self->conf, "user", "create", "--uid=osi-test",
                                          "--display-name=OSI Backup tests", access_arg,
                                          secret_arg, NULL });
  self->credentials = g_build_filename (self->dir, "credentials", NULL);
  text = g_strdup_printf ("access_key = %s\nsecret_key = %s\n", self->access_key, self->secret_key);
  write_file (self->credentials, text);
  g_free (text);
  self->s3cmd_config = g_build_filename (self->dir, "s3cfg", NULL);
  text = g_strdup_printf ("[default]\n"
                          "access_key = %s\n"
                          "secret_key = %s\n"
                          "host_base = 127.0.0.1:%u\n"
                          "host_bucket = 127.0.0.1:%u\n"
                          "use_https = False\n"
                          "signature_v2 = False\n",
                          self->access_key, self->secret_key, self->port, self->port);
  write_file (self->s3cmd_config, text);
  bucket_arg = g_strdup_printf ("s3://%s", self->bucket);
  g_free (run_tool (self, (const char *[]){ "s3cmd", "-c", self->s3cmd_config, "mb", bucket_arg, NULL }));
  return g_steal_pointer (&self);
}

void
osi_test_rgw_stop_gateway (OsiTestRgw *rgw)
{
  g_assert_nonnull (rgw);
  g_assert_cmpint (rgw->rgw, >, 0);
  kill_daemon (&rgw->rgw);
}

void
osi_test_rgw_start_gateway (OsiTestRgw *rgw)
{
  g_assert_nonnull (rgw);
  g_assert_cmpint (rgw->rgw, ==, 0);
  run_gateway (rgw, FALSE);
}

void
osi_test_rgw_free (OsiTestRgw *rgw)
{
  if (rgw == NULL)
    return;
  kill_daemon (&rgw->rgw);
  kill_daemon (&rgw->osd);
  kill_daemon (&rgw->mon);
  if (rgw->dir != NULL)
    osi_test_remove_tmpdir (rgw->dir);
  g_free (rgw->dir);
  g_free (rgw->conf);
  g_free (rgw->endpoint);
  g_free (rgw->url);
  g_free (rgw->bucket);
  g_free (rgw->access_key);
  g_free (rgw->secret_key);
  g_free (rgw->credentials);
  g_free (rgw->s3cmd_config);
  g_free (rgw->log);
  g_free (rgw);
}

const char *
osi_test_rgw_get_endpoint (OsiTestRgw *rgw)
{
  return rgw->endpoint;
}

const char *
osi_test_rgw_get_bucket (OsiTestRgw *rgw)
{
  return rgw->bucket;
}

const char *
osi_test_rgw_get_url (OsiTestRgw *rgw)
{
  return rgw->url;
}

const char *
osi_test_rgw_get_access_key (OsiTestRgw *rgw)
{
  return rgw->access_key;
}

const char *
osi_test_rgw_get_secret_key (OsiTestRgw *rgw)
{
  return rgw->secret_key;
}

const char *
osi_test_rgw_get_credentials (OsiTestRgw *rgw)
{
  return rgw->credentials;
}

gboolean
osi_test_rgw_start_once (OsiTestRgw **rgw,
                         const char  *tmp_dir,
                         guint64      memstore_bytes)
{
  static gboolean tried;
  gint64 start;

  if (*rgw != NULL)
    return TRUE;
  if (tried)
    {
      osi_test_missing ("no RADOS Gateway");
      return FALSE;
    }
  tried = TRUE;
  start = g_get_monotonic_time ();
  *rgw = memstore_bytes > 0 ? osi_test_rgw_start_sized (tmp_dir, memstore_bytes) : osi_test_rgw_start (tmp_dir);
  if (*rgw == NULL)
    return FALSE;
  g_test_message ("rgw: mon, OSD and radosgw up, user and bucket made in %.2f s",
                  (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);
  return TRUE;
}

const char *
osi_test_rgw_get_s3cmd_config (OsiTestRgw *rgw)
{
  return rgw->s3cmd_config;
}

OsiTestServer *
osi_test_rgw_server_start (OsiTestRgw *rgw,
                           const char *tmp_dir,
                           const char *data_dir,
                           const char *backup_dir,
                           const char *token,
                           const char *offsite_url,
                           const char *retry_max)
{
  return osi_test_server_start (tmp_dir, data_dir, backup_dir, token,
                                "--offsite-url", offsite_url,
                                "--offsite-credentials", rgw->credentials,
                                retry_max != NULL ? "--offsite-retry-max" : NULL, retry_max,
                                NULL);
}

char *
osi_test_rgw_s3cmd (OsiTestRgw *rgw,
                    const char *first_arg,
                    ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;
  va_list ap;

  g_ptr_array_add (argv, (char *)"s3cmd");
  g_ptr_array_add (argv, (char *)"-c");
  g_ptr_array_add (argv, rgw->s3cmd_config);
  g_ptr_array_add (argv, (char *)"--no-progress");
  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *)arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("s3cmd %s: %s\n%s%s", first_arg, error->message, out, err);
  return out;
}

const char *
osi_test_rgw_get_log (OsiTestRgw *rgw)
{
  return rgw->log;
}
