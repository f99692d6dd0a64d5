/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Off-site copies (docs/api.md §7, issue 15) against a real Ceph RADOS
 * Gateway on this machine (tests/osi-test-rgw.c, its memstore raised to
 * hold the copies):
 *
 *   1. a backup of about 1 GiB (random bytes, which zstd cannot shrink)
 *      copied by a real osi-backup-server, from the moment its create
 *      answered (the backup listed; its copy may have started a few
 *      milliseconds before) to the copy's `done` in GET …/offsite, polled
 *      every 20 ms, against `aws s3 cp` of the same file to the same
 *      gateway (`s3cmd put` where aws is missing; the output says which):
 *      at most 1.3 times, the median of 3 runs each, alternated;
 *   2. the server's RSS growth during a copy: one more backup made, the
 *      server stopped (SIGTERM) as soon as the create answered and started
 *      again, so that the copy resumes in a process that never compressed
 *      anything; its VmHWM at the copy's end less its VmRSS once started:
 *      under 64 MiB (VmRSS sampled during the timed copies of part 1, less
 *      VmRSS when their create answered, for information);
 *   3. GET /api/rag/backup/offsite?refresh=1 with 10,000 copies under the
 *      host's prefix (put by this program, 16 connections at once) that
 *      the catalog knows, the median of 5: under 2 s. For information: how
 *      long a server started on a fresh catalog took to record them (the
 *      reading at start, as after a catalog lost), and the catalog's list
 *      without refresh.
 *
 *   bench-offsite [--size-mb N]   the backup's size (default 1024;
 *                                 $OSI_BENCH_SIZE_MB overrides it)
 *   $OSI_BENCH_DIR                where the temporary folder goes
 *   $OSI_BACKUP_SERVER            the server (meson sets it)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bench-support.h"
#include "osi-s3.h"
#include "osi-test-rgw.h"
#include "osi-test-support.h"

#define MiB (1024 * 1024)
#define TOKEN "bench-offsite-token"
#define RUNS 3
#define COPY_TARGET 1.30
#define RSS_TARGET_MIB 64.0
#define N_COPIES 10000
#define PUT_THREADS 16
#define LIST_RUNS 5
#define LIST_TARGET_S 2.0
/* A copy not done by then is reported as failed, not waited for. */
#define COPY_DEADLINE_S 900

static gboolean utf8;

typedef struct
{
  OsiTestServer *server;
  SoupSession   *session;
} Server;

/* The server's log goes to a file (each start overwrites it): its
 * access log would drown the figures. */
static OsiTestServer *
start_server (const char         *tmp,
              const char         *data,
              const char         *backups,
              const char * const *args)
{
  g_autofree char *log = g_build_filename (tmp, "server.log", NULL);
  OsiTestServerOptions options = { .log_path = log };

  return osi_test_server_start_full (tmp, data, backups, TOKEN, &options, args);
}

static JsonNode *
get_json (Server     *s,
          const char *method,
          const char *path_query,
          guint       expected,
          double     *seconds)
{
  g_autofree char *url = g_strconcat (s->server->url, path_query, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  gint64 start = g_get_monotonic_time ();
  gsize len;
  const char *data;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer " TOKEN);
  body = soup_session_send_and_read (s->session, msg, NULL, &error);
  if (seconds != NULL)
    *seconds = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  if (body == NULL)
    g_error ("bench-offsite: %s %s: %s", method, path_query, error->message);
  data = g_bytes_get_data (body, &len);
  if (soup_message_get_status (msg) != expected)
    g_error ("bench-offsite: %s %s answered %u: %.*s", method, path_query, soup_message_get_status (msg),
             (int)MIN (len, 2000), data);
  return osi_test_parse_json (data, (gssize)len);
}

/* VmHWM or VmRSS ("VmHWM:", "VmRSS:") of pid, in MiB; -1 when unknown. */
static double
vm_mib (GPid        pid,
        const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  const char *at;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (at = strstr (text, field)) == NULL)
    return -1;
  return g_ascii_strtod (at + strlen (field), NULL) / 1024.0;
}

/* The copy of name in the catalog's list, its state ("" when not
 * listed). */
static char *
copy_state (Server     *s,
            const char *name)
{
  g_autoptr(JsonNode) root = get_json (s, "GET", "/api/rag/backup/offsite", SOUP_STATUS_OK, NULL);
  JsonArray *copies = json_object_get_array_member (json_node_get_object (root), "copies");

  for (guint i = 0; i < json_array_get_length (copies); i++)
    {
      JsonObject *copy = json_array_get_object_element (copies, i);

      if (g_strcmp0 (json_object_get_string_member (copy, "name"), name) == 0)
        {
          JsonObject *offsite = json_object_get_object_member (copy, "offsite");

          if (g_strcmp0 (json_object_get_string_member (offsite, "state"), "failed") == 0)
            g_error ("bench-offsite: the copy of %s failed: %s", name,
                     json_object_get_string_member (offsite, "detail"));
          return g_strdup (json_object_get_string_member (offsite, "state"));
        }
    }
  return g_strdup ("");
}

/* One create and its copy: the copy's time, the RSS growth meanwhile;
 * *path the backup. */
static gboolean
copy_once (Server  *s,
           const char *backups,
           double  *seconds,
           double  *growth_mib,
           char   **path)
{
  g_autoptr(JsonNode) created = get_json (s, "POST", "/api/rag/backup", SOUP_STATUS_CREATED, NULL);
  gint64 start = g_get_monotonic_time ();
  const char *name;
  double base = vm_mib (s->server->pid, "VmRSS:");
  double peak = base;

  name = json_object_get_string_member (json_object_get_object_member (json_node_get_object (created), "backup"),
                                        "name");
  for (;;)
    {
      g_autofree char *state = copy_state (s, name);
      double rss = vm_mib (s->server->pid, "VmRSS:");

      peak = MAX (peak, rss);
      if (strcmp (state, "done") == 0)
        break;
      if (g_get_monotonic_time () - start > COPY_DEADLINE_S * G_USEC_PER_SEC)
        {
          g_printerr ("bench-offsite: the copy of %s is not done after %d s\n", name, COPY_DEADLINE_S);
          return FALSE;
        }
      g_usleep (20 * 1000);
    }
  *seconds = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
  *growth_mib = peak - base;
  *path = g_build_filename (backups, name, NULL);
  return TRUE;
}

/* A create, the server stopped at once and started again: the copy
 * resumes in a fresh process; *growth_mib its VmHWM when the copy is done
 * less its VmRSS once started (and listing). s->server is the new one. */
static gboolean
rss_once (Server             *s,
          const char         *tmp,
          const char         *data,
          const char         *backups,
          const char * const *args,
          double             *growth_mib)
{
  g_autoptr(JsonNode) created = get_json (s, "POST", "/api/rag/backup", SOUP_STATUS_CREATED, NULL);
  g_autofree char *name = g_strdup (json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (created), "backup"), "name"));
  gint64 start;
  double base;

  if (osi_test_server_stop (s->server) != 0)
    {
      g_printerr ("bench-offsite: the server did not stop cleanly\n");
      return FALSE;
    }
  osi_test_server_free (s->server);
  s->server = start_server (tmp, data, backups, args);
  /* As soon as it listens: its copy starts about then. */
  base = vm_mib (s->server->pid, "VmRSS:");
  start = g_get_monotonic_time ();
  for (;;)
    {
      g_autofree char *state = copy_state (s, name);

      if (strcmp (state, "done") == 0)
        break;
      if (g_get_monotonic_time () - start > COPY_DEADLINE_S * G_USEC_PER_SEC)
        {
          g_printerr ("bench-offsite: the resumed copy of %s is not done after %d s\n", name, COPY_DEADLINE_S);
          return FALSE;
        }
      g_usleep (100 * 1000);
    }
  *growth_mib = vm_mib (s->server->pid, "VmHWM:") - base;
  g_print ("  the copy resumed after a restart: VmRSS %.1f MiB once started, VmHWM %.1f MiB when done\n", base,
           base + *growth_mib);
  return TRUE;
}

/* The reference client's upload of path; FALSE when it failed. */
static gboolean
reference_copy (OsiTestRgw *rgw,
                const char *tool,
                const char *path,
                const char *out_path,
                guint       run,
                double     *seconds)
{
  g_autofree char *uri = g_strdup_printf ("s3://%s/reference/%u", osi_test_rgw_get_bucket (rgw), run);
  BenchRun measured = { 0 };
  gboolean aws = g_str_has_suffix (tool, "/aws");
  const char *aws_argv[] = { tool, "--endpoint-url", osi_test_rgw_get_endpoint (rgw), "s3", "cp", "--quiet", path,
                             uri, NULL };
  const char *s3cmd_argv[] = { tool, "-c", osi_test_rgw_get_s3cmd_config (rgw), "--no-progress", "put", path, uri,
                               NULL };

  if (!bench_run_measured ((char * const *)(aws ? aws_argv : s3cmd_argv), out_path, &measured))
    return FALSE;
  if (measured.exit_status != 0)
    {
      g_autofree char *out = NULL;

      g_file_get_contents (out_path, &out, NULL, NULL);
      g_printerr ("bench-offsite: %s exited with %d: %s\n", tool, measured.exit_status, out != NULL ? out : "");
      return FALSE;
    }
  *seconds = measured.seconds;
  return TRUE;
}

typedef struct
{
  OsiTestRgw *rgw;
  const char *url;
  const char *host_prefix;
  const char *source;
  guint       first;
  guint       step;
  gboolean    ok;
} PutJob;

static gpointer
put_objects (gpointer data)
{
  PutJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiS3) s3 = osi_s3_new (job->url, osi_test_rgw_get_access_key (job->rgw),
                                    osi_test_rgw_get_secret_key (job->rgw), NULL, NULL, &error);
  g_autoptr(GDateTime) base = g_date_time_new_utc (2000, 1, 1, 0, 0, 0);
  int fd = open (job->source, O_RDONLY | O_CLOEXEC);

  if (s3 == NULL || fd < 0)
    {
      g_printerr ("bench-offsite: %s\n", error != NULL ? error->message : g_strerror (errno));
      return NULL;
    }
  for (guint i = job->first; i < N_COPIES; i += job->step)
    {
      g_autoptr(GDateTime) when = g_date_time_add_hours (base, i);
      g_autofree char *stamp = g_date_time_format (when, "%Y%m%d_%H%M%S");
      g_autofree char *key = g_strdup_printf ("%sbackup_%s.tar.zst", job->host_prefix, stamp);
      g_autofree char *etag = osi_s3_put_object (s3, key, fd, 0, 512, NULL, NULL, &error);

      if (etag == NULL)
        {
          g_printerr ("bench-offsite: put %s: %s\n", key, error->message);
          close (fd);
          return NULL;
        }
    }
  close (fd);
  job->ok = TRUE;
  return NULL;
}

static gboolean
bench_list (OsiTestRgw *rgw,
            const char *tmp,
            gboolean   *met)
{
  g_autofree char *url = g_strdup_printf ("%s/list", osi_test_rgw_get_url (rgw));
  g_autofree char *data = NULL;
  g_autofree char *backups = g_build_filename (tmp, "list-backups", NULL);
  g_autofree char *source = g_build_filename (tmp, "small", NULL);
  g_autofree char *host_prefix = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(OsiS3) s3 = osi_s3_new (url, osi_test_rgw_get_access_key (rgw), osi_test_rgw_get_secret_key (rgw),
                                    NULL, NULL, &error);
  const char *args[] = { "--offsite-url", url, "--offsite-credentials", osi_test_rgw_get_credentials (rgw), NULL };
  PutJob jobs[PUT_THREADS];
  GThread *threads[PUT_THREADS];
  Server s = { NULL, NULL };
  double refresh[LIST_RUNS];
  double plain[LIST_RUNS];
  gint64 start;
  gboolean ok = TRUE;
  double median;

  g_assert_no_error (error);
  host_prefix = osi_s3_host_prefix (s3, g_get_host_name (), &error);
  g_assert_no_error (error);
  osi_test_write_random_file (source, 512, 7);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < PUT_THREADS; i++)
    {
      jobs[i] = (PutJob){ rgw, url, host_prefix, source, i, PUT_THREADS, FALSE };
      threads[i] = g_thread_new ("put", put_objects, &jobs[i]);
    }
  for (guint i = 0; i < PUT_THREADS; i++)
    {
      g_thread_join (threads[i]);
      ok &= jobs[i].ok;
    }
  if (!ok)
    return FALSE;
  g_print ("bench-offsite: [3] %u objects put under %s in %.1f s (%u connections)\n", N_COPIES, host_prefix,
           (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC, PUT_THREADS);

  data = osi_test_generate_data (tmp, 64 * 1024, 2);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);
  start = g_get_monotonic_time ();
  s.server = start_server (tmp, data, backups, args);
  s.session = soup_session_new_with_options ("timeout", 120, NULL);
  /* The reading at start records the copies the catalog lacks. */
  for (;;)
    {
      g_autoptr(JsonNode) root = get_json (&s, "GET", "/api/rag/backup/offsite", SOUP_STATUS_OK, NULL);

      if (json_array_get_length (json_object_get_array_member (json_node_get_object (root), "copies")) >= N_COPIES)
        break;
      if (g_get_monotonic_time () - start > COPY_DEADLINE_S * G_USEC_PER_SEC)
        {
          g_printerr ("bench-offsite: the server did not record the %u copies within %d s\n", N_COPIES,
                      COPY_DEADLINE_S);
          return FALSE;
        }
      g_usleep (20 * 1000);
    }
  g_print ("bench-offsite: [3] a server started on a fresh catalog listed the %u copies %.2f s after its start "
           "(for information)\n", N_COPIES, (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC);
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_autoptr(JsonNode) root = get_json (&s, "GET", "/api/rag/backup/offsite?refresh=1", SOUP_STATUS_OK,
                                           &refresh[i]);
      g_autoptr(JsonNode) again = NULL;
      guint n = json_array_get_length (json_object_get_array_member (json_node_get_object (root), "copies"));

      if (n != N_COPIES)
        {
          g_printerr ("bench-offsite: the refreshed list has %u copies, not %u\n", n, N_COPIES);
          ok = FALSE;
        }
      again = get_json (&s, "GET", "/api/rag/backup/offsite", SOUP_STATUS_OK, &plain[i]);
    }
  g_assert_cmpint (osi_test_server_stop (s.server), ==, 0);
  osi_test_server_free (s.server);
  g_object_unref (s.session);

  median = bench_median (refresh, LIST_RUNS);
  *met = median < LIST_TARGET_S;
  {
    g_autofree char *runs = bench_format_ms (refresh, LIST_RUNS);
    g_autofree char *plain_runs = bench_format_ms (plain, LIST_RUNS);

    g_print ("bench-offsite: [3] GET /api/rag/backup/offsite?refresh=1 with %u copies: %.0f ms (median of %u; "
             "runs %s ms; target < %.0f ms) %s\n", N_COPIES, median * 1000, LIST_RUNS, runs, LIST_TARGET_S * 1000,
             *met ? "OK" : "MISSED");
    g_print ("  the catalog's list without refresh, for information: %.0f ms (runs %s ms)\n",
             bench_median (plain, LIST_RUNS) * 1000, plain_runs);
  }
  return ok;
}

static int
run_benchmark (const char *tmp,
               guint64     size_mb)
{
  g_autoptr(OsiTestRgw) rgw = NULL;
  g_autofree char *data = NULL;
  g_autofree char *random_path = NULL;
  g_autofree char *random_dir = NULL;
  g_autofree char *last_path = NULL;
  g_autofree char *backups = g_build_filename (tmp, "backups", NULL);
  g_autofree char *out_path = g_build_filename (tmp, "reference.out", NULL);
  g_autofree char *aws_config = g_build_filename (tmp, "aws-config", NULL);
  g_autofree char *tool = g_find_program_in_path ("aws");
  g_autofree char *load = NULL;
  double osi[RUNS], reference[RUNS], growth[RUNS], ratios[RUNS];
  double ratio, low = G_MAXDOUBLE, high = 0, max_growth = 0, resumed_growth = 0;
  gboolean copy_met, rss_met, list_met = FALSE;
  const char *le = utf8 ? "≤" : "<=";
  Server s = { NULL, NULL };
  const char *args[4 + 2];

  if (tool == NULL)
    tool = g_strdup ("/root/.pyenv/shims/aws");
  if (!g_file_test (tool, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_free (tool);
      tool = g_find_program_in_path ("s3cmd");
      if (tool == NULL)
        {
          g_printerr ("bench-offsite: neither aws nor s3cmd is installed: the copy is compared with one\n");
          return 1;
        }
    }
  /* The reference's keys are the gateway's; nothing of the user's own
   * configuration; checksums as the gateway of Debian 12 knows them. */
  g_setenv ("AWS_CONFIG_FILE", aws_config, TRUE);
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", aws_config, TRUE);
  g_setenv ("AWS_DEFAULT_REGION", "us-east-1", TRUE);
  g_setenv ("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required", TRUE);
  g_setenv ("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required", TRUE);

  /* Room for the copies of both sides, then the listing's objects. */
  rgw = osi_test_rgw_start_sized (tmp, (2 * RUNS + 2) * size_mb * MiB + 1024ULL * MiB);
  if (rgw == NULL)
    {
      g_printerr ("bench-offsite: no RADOS Gateway (Debian: ceph-mon ceph-osd radosgw ceph-common s3cmd)\n");
      return 1;
    }
  g_setenv ("AWS_ACCESS_KEY_ID", osi_test_rgw_get_access_key (rgw), TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", osi_test_rgw_get_secret_key (rgw), TRUE);

  data = osi_test_generate_data (tmp, 64 * 1024, 1);
  random_path = g_build_filename (data, "data", "random.bin", NULL);
  random_dir = g_path_get_dirname (random_path);
  g_assert_cmpint (g_mkdir_with_parents (random_dir, 0700), ==, 0);
  osi_test_write_random_file (random_path, size_mb * MiB, 5);
  g_assert_cmpint (g_mkdir (backups, 0700), ==, 0);

  args[0] = "--offsite-url";
  args[1] = osi_test_rgw_get_url (rgw);
  args[2] = "--offsite-credentials";
  args[3] = osi_test_rgw_get_credentials (rgw);
  args[4] = NULL;
  s.server = start_server (tmp, data, backups, args);
  s.session = soup_session_new_with_options ("timeout", 600, NULL);

  load = bench_load_average ();
  g_print ("bench-offsite: [1] copy of a %" G_GUINT64_FORMAT " MiB backup to the RADOS Gateway on this machine, "
           "against %s (load %s)\n", size_mb, tool, load);
  for (guint i = 0; i < RUNS; i++)
    {
      g_autofree char *path = NULL;

      /* The same backup file for both; alternated, so that neither side
       * always runs on a warmer gateway. */
      if (i % 2 == 1 && !reference_copy (rgw, tool, last_path, out_path, i, &reference[i]))
        return 1;
      if (!copy_once (&s, backups, &osi[i], &growth[i], &path))
        return 1;
      if (i % 2 == 0 && !reference_copy (rgw, tool, path, out_path, i, &reference[i]))
        return 1;
      g_free (last_path);
      last_path = g_strdup (path);
      ratios[i] = osi[i] / reference[i];
      low = MIN (low, ratios[i]);
      high = MAX (high, ratios[i]);
      max_growth = MAX (max_growth, growth[i]);
      g_print ("  run %u: osi %.2f s (%.0f MB/s), %s %.2f s; server RSS +%.1f MiB\n", i + 1, osi[i],
               bench_file_size (path) / osi[i] / 1e6, strrchr (tool, '/') + 1, reference[i], growth[i]);
    }
  if (!rss_once (&s, tmp, data, backups, args, &resumed_growth))
    return 1;
  g_assert_cmpint (osi_test_server_stop (s.server), ==, 0);
  osi_test_server_free (s.server);
  g_object_unref (s.session);

  ratio = bench_median (osi, RUNS) / bench_median (reference, RUNS);
  copy_met = ratio <= COPY_TARGET;
  g_print ("bench-offsite: [1] copy: osi %.2f s vs %s %.2f s (medians of %u) ratio %.2f (runs %.2f%s%.2f; "
           "target %s %.2f) %s\n", bench_median (osi, RUNS), strrchr (tool, '/') + 1, bench_median (reference, RUNS),
           RUNS, ratio, low, utf8 ? "–" : "-", high, le, COPY_TARGET, copy_met ? "OK" : "MISSED");
  rss_met = resumed_growth < RSS_TARGET_MIB;
  g_print ("bench-offsite: [2] server RSS growth during a copy: VmHWM %.1f MiB above VmRSS after start "
           "(target < %.0f MiB) %s\n", resumed_growth, RSS_TARGET_MIB, rss_met ? "OK" : "MISSED");
  g_print ("  sampled during the timed copies, above VmRSS when their create answered: %.1f MiB at most\n",
           max_growth);

  if (!bench_list (rgw, tmp, &list_met))
    return 1;
  return copy_met && rss_met && list_met ? 0 : 1;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *tmp = NULL;
  const char *base;
  guint64 size_mb;
  int status;

  g_set_prgname ("bench-offsite");
  setlocale (LC_ALL, "");
  utf8 = g_get_charset (NULL);
  size_mb = bench_parse_size_mb (argc, argv);
  if (size_mb == 0)
    return 1;
  if (bench_program_from_env ("OSI_BACKUP_SERVER") == NULL)
    return 1;
  osi_test_kill_servers_on_fatal_signals ();

  base = g_getenv ("OSI_BENCH_DIR");
  if (base == NULL || *base == '\0')
    base = g_get_tmp_dir ();
  tmp = g_build_filename (base, "osi-bench-offsite-XXXXXX", NULL);
  if (g_mkdtemp (tmp) == NULL)
    {
      g_printerr ("bench-offsite: cannot create a folder in %s: %s\n", base, g_strerror (errno));
      return 1;
    }
  status = run_benchmark (tmp, size_mb);
  bench_remove_tree (tmp);
  return status;
}
