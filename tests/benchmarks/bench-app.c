/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The desktop app against its targets (issue 4), under the X server of
 * $DISPLAY (Xvfb in CI), in one run of about two minutes:
 *
 *   1. start to the first frame that shows the list, under 400 ms (median
 *      of 5 runs after one warm-up run): the real osi-backup
 *      (`$OSI_BACKUP_APP --server URL`, token in $OSI_BACKUP_TOKEN) against
 *      a real osi-backup-server holding 57 backups. Run with
 *      OSI_BACKUP_REPORT_FIRST_LIST_FRAME=1, the app prints
 *      "first-list-frame T" on stderr from the frame clock's after-paint of
 *      the first frame painted with backups in the list and no stack
 *      transition running (a crossfade from the loading page, if any, is
 *      over). T is g_get_monotonic_time (), CLOCK_MONOTONIC, which this
 *      process shares: the time counts from just before fork (). Beside it,
 *      the floor: a bare AdwApplicationWindow with a header bar, of the
 *      same size, to its first frame (this program, --child-floor), what
 *      GTK, libadwaita, the renderer and the machine take before any of the
 *      app's work.
 *
 *   2. with 100,000 backups on the server (tiny files named
 *      backup_YYYYMMDD_HHMMSS.tar.zst, one every 7 min 1 s, each last
 *      modified at the time of its name; the server hashes them in the
 *      background, and nothing is measured before it is done; its catalog
 *      filled as a server that made and verified them would have,
 *      bench-seed.c: every entry with a kind, most with a verification,
 *      some with a note or protected), in a child
 *      process (--child-window) that links the window, osi_window_new
 *      (NULL) as tests/test-window.c does:
 *      - refresh after a change to the list shown, under 1 s: the median
 *        of 5 win.refresh over the list already shown, each after one
 *        backup was added (with its checksum file, as the server writes
 *        it), touched (its date set back) or removed on the server, in
 *        turn, so that the answer's bytes differ: the whole answer read
 *        and parsed again (the client keeps the objects of the backups
 *        that did not change, osi_backup_info_list_parse_again, and makes
 *        new ones for the others), the models redone. For
 *        information, 5 refreshes of an unchanged answer before them (the
 *        client sees its SHA-256 has not changed and gives back the same
 *        backups: nothing is parsed) and the first load
 *        (osi_window_set_client on the empty window, under 1 s too), each
 *        from the call to the first frame painted after the models hold
 *        the new list.
 *        Emission hooks on items-changed (they run before any handler)
 *        mark when the store received the list (the request, the response
 *        and the client's parse are done) and when the filter, sort and
 *        page models had done their work; handlers connected last mark when
 *        the rows followed the page and when everything did. The server's
 *        response time (GET /api/rag/backup read whole by libsoup) and the
 *        client's parse (osi_backup_info_list_parse, the streaming reader
 *        OsiClient uses; its target is in bench-server) are measured
 *        apart, in this process, for information.
 *      - the filter's latency per keystroke, median under 16 ms: three
 *        queries ("15/03/2025", "14:30", "20250315_14") typed one character
 *        at a time at the end of the search entry (gtk_editable_insert_text,
 *        as typing does). GtkSearchEntry waits for its search-delay (150 ms)
 *        after the last change before it emits search-changed; that pause
 *        is the entry's debounce, not work, so each keystroke is timed from
 *        the emission of search-changed (an emission hook, before the
 *        window's handler) to the end of the window's handler (a handler
 *        connected after it): the filter, the sort, the page, its rows and
 *        the labels are all updated synchronously in between. The next
 *        frame painted is reported too, for information (it includes the
 *        wait for the frame clock's next tick).
 *      - peak RSS, under 150 MiB: of that process (ru_maxrss from wait4 ())
 *        after eleven loads of 100,000 backups (six of new lists) and the
 *        keystrokes, and of the
 *        real osi-backup started on that server (VmHWM once the list is
 *        shown).
 *
 * Renderer: meson runs this with GSK_RENDERER=cairo and GDK_DEBUG=gl-disable
 * (tests/benchmarks/meson.build), as for an X server without a GPU. Under
 * Xvfb, GTK's GL goes through Mesa's llvmpipe: its set-up alone costs
 * ~60 MiB of RSS and a few hundred ms before the first frame, in the floor
 * as in the app, and measures Mesa rather than this app. Run the program
 * by hand without them to see GTK's default. The machine's load average is
 * printed at the start and the end.
 *
 * Figures, then "target … OK/MISSED" lines; exit status 1 when a target is
 * missed or something failed, 0 otherwise. No $DISPLAY: it says so and fails.
 *
 *   $OSI_BACKUP_APP, $OSI_BACKUP_SERVER   the programs (meson sets them)
 *   $OSI_BENCH_DIR                        where the temporary folder goes
 *                                         (about 0.8 GB of tiny files)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <adwaita.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "osi-backup-filter-model.h"
#include "osi-backup-info.h"
#include "osi-client.h"
#include "osi-demo-data.h"
#include "osi-test-support.h"
#include "bench-seed.h"
#include "bench-support.h"
#include "osi-window-private.h"

#define START_COUNT        57
#define START_RUNS         5
#define BIG_COUNT          100000
#define BIG_STEP_S         421        /* 7 min 1 s: distinct seconds in names */
#define REFRESH_RUNS       5
#define LIST_RUNS          5
#define MIB                (1024.0 * 1024.0)

#define START_TARGET_MS    400.0
#define REFRESH_TARGET_MS  1000.0
#define KEY_TARGET_MS      16.0
#define RSS_TARGET_MIB     150.0

#define APP_TIMEOUT_S      30
#define HASH_TIMEOUT_S     150
#define TOKEN              "bench-app-token-7d41c0e9a2b35f86"

static const char * const queries[] = { "15/03/2025", "14:30", "20250315_14" };

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

static char *
format_ms (const double *values,
           guint         n)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s%.1f", i > 0 ? " " : "", values[i]);
  return g_string_free (text, FALSE);
}

/* VmHWM (peak) and VmRSS of a process, in MiB. */
static gboolean
process_memory (pid_t   pid,
                double *hwm,
                double *rss)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  p = strstr (text, "VmHWM:");
  *hwm = p != NULL ? g_ascii_strtod (p + 6, NULL) / 1024.0 : -1;
  p = strstr (text, "VmRSS:");
  *rss = p != NULL ? g_ascii_strtod (p + 6, NULL) / 1024.0 : -1;
  return *hwm >= 0;
}

/* "0.52 0.61 0.70" from /proc/loadavg. */
/* ------------------------------------------------------------------------ */
/* The window part: a child process (--child-window URL COUNT DIR), so that
 * its peak RSS is its own; it changes the backup folder DIR between
 * refreshes. It prints its figures on stdout, one per line, in µs:
 * "load HOOK CHAIN PAINT SETTLED", "unchanged|changed HOOK CHAIN PAINT",
 * "key TEXT SHOWN MODEL FRAME", "clear MODEL FRAME", "peak KIB" after each
 * new list, "rss KIB" at the end.                                          */

typedef struct
{
  OsiWindow  *window;
  GListStore *store;
  GtkWidget  *entry;
  GtkStack   *stack;       /* the page stack: loading, list, … */

  GListModel *filter;      /* the models between the store and the page */
  GListModel *sort;
  GListModel *page;

  gint64      hook;        /* the store's items-changed began */
  gint64      chain;       /* … and every model after it followed */
  gint64      filter_emit; /* the first items-changed of each model since */
  gint64      sort_emit;   /* the last reset: when it had done its work */
  gint64      page_emit;
  gint64      page_done;   /* the page's handlers (the rows) are done */
  gint64      search_start;
  gint64      search_end;
  gint64      last_paint;
  gint64      last_settled_paint;   /* with no stack transition running */
  gboolean    expect_change;        /* the load ends when the store changes */
} Probe;

static gboolean
store_hook (GSignalInvocationHint *hint,
            guint                  n_values,
            const GValue          *values,
            gpointer               user_data)
{
  Probe *probe = user_data;
  gpointer model = g_value_get_object (&values[0]);
  gint64 now = now_us ();

  if (model == (gpointer)probe->store && g_value_get_uint (&values[3]) > 0)
    probe->hook = now;
  else if (model == (gpointer)probe->filter && probe->filter_emit == 0)
    probe->filter_emit = now;
  else if (model == (gpointer)probe->sort && probe->sort_emit == 0)
    probe->sort_emit = now;
  else if (model == (gpointer)probe->page && probe->page_emit == 0)
    probe->page_emit = now;
  return TRUE;
}

static void
reset_emissions (Probe *probe)
{
  probe->filter_emit = probe->sort_emit = probe->page_emit = probe->page_done = 0;
}

static void
on_page_changed (GListModel *model,
                 guint       position,
                 guint       removed,
                 guint       added,
                 Probe      *probe)
{
  if (probe->page_done == 0)
    probe->page_done = now_us ();
}

/* "F S P R": when the filter, sort and page models emitted and when the
 * rows followed the page, in µs after t0 (-1: they did not). */
static char *
emissions (Probe  *probe,
           gint64  t0)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                          probe->filter_emit > 0 ? probe->filter_emit - t0 : -1,
                          probe->sort_emit > 0 ? probe->sort_emit - t0 : -1,
                          probe->page_emit > 0 ? probe->page_emit - t0 : -1,
                          probe->page_done > 0 ? probe->page_done - t0 : -1);
}

/* Finds the filter and sort models between the page and the store, in
 * whatever order the window chains them. */
static void
find_models (Probe *probe)
{
  GListModel *model = osi_window_get_page_model (probe->window);

  probe->page = model;
  while (model != NULL && model != G_LIST_MODEL (probe->store))
    {
      if (GTK_IS_SLICE_LIST_MODEL (model))
        model = gtk_slice_list_model_get_model (GTK_SLICE_LIST_MODEL (model));
      else if (GTK_IS_SORT_LIST_MODEL (model))
        {
          probe->sort = model;
          model = gtk_sort_list_model_get_model (GTK_SORT_LIST_MODEL (model));
        }
      else if (OSI_IS_BACKUP_FILTER_MODEL (model))
        {
          probe->filter = model;
          model = osi_backup_filter_model_get_model (OSI_BACKUP_FILTER_MODEL (model));
        }
      else if (GTK_IS_FILTER_LIST_MODEL (model))
        {
          probe->filter = model;
          model = gtk_filter_list_model_get_model (GTK_FILTER_LIST_MODEL (model));
        }
      else if (GTK_IS_NO_SELECTION (model))
        model = gtk_no_selection_get_model (GTK_NO_SELECTION (model));
      else
        break;
    }
}

static void
on_store_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Probe      *probe)
{
  if (added > 0)
    probe->chain = now_us ();
}

static gboolean
search_hook (GSignalInvocationHint *hint,
             guint                  n_values,
             const GValue          *values,
             gpointer               user_data)
{
  Probe *probe = user_data;

  if (g_value_get_object (&values[0]) == (gpointer)probe->entry)
    probe->search_start = now_us ();
  return TRUE;
}

static void
on_search_changed (GtkSearchEntry *entry,
                   Probe          *probe)
{
  probe->search_end = now_us ();
}

static void
on_after_paint (GdkFrameClock *clock,
                Probe         *probe)
{
  probe->last_paint = now_us ();
  if (!gtk_stack_get_transition_running (probe->stack))
    probe->last_settled_paint = probe->last_paint;
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until *stamp is after `after`, or timeout_ms. */
static gboolean
wait_stamp (const gint64 *stamp,
            gint64        after,
            guint         timeout_ms)
{
  gint64 deadline = now_us () + (gint64)timeout_ms * 1000;

  while (*stamp <= after)
    {
      if (now_us () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, TRUE);
    }
  return TRUE;
}

/* Lets whatever the last step started (frames, idles) end. */
static void
settle (guint ms)
{
  gint64 end = now_us () + (gint64)ms * 1000;

  while (now_us () < end)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
list_shown (Probe *probe,
            guint  count)
{
  return g_strcmp0 (osi_window_get_state (probe->window), "list") == 0 &&
         g_strcmp0 (osi_window_get_list_state (probe->window), "rows") == 0 &&
         g_list_model_get_n_items (osi_window_get_sorted_model (probe->window)) == count &&
         g_list_model_get_n_items (osi_window_get_page_model (probe->window)) > 0;
}

/* A refresh whose answer is the same as the last one leaves the store
 * alone (the client gives back the same backups, and the window sees it
 * holds them already): its end is when the window's handler returned, an
 * idle after "working" went off. A load that must change the list ends
 * only when the store took it. */
static gboolean
mark_unchanged_end (gpointer data)
{
  Probe *probe = data;

  if (probe->chain == 0 && !probe->expect_change)
    probe->hook = probe->chain = now_us ();
  return G_SOURCE_REMOVE;
}

static void
on_working (OsiWindow  *window,
            GParamSpec *pspec,
            Probe      *probe)
{
  if (!osi_window_get_working (window))
    g_idle_add (mark_unchanged_end, probe);
}

/* One load: from set_client (first) or win.refresh to the frames after,
 * printed with label. changed: the server's answer differs from the last
 * one, so the store must take a new list. */
static gboolean
child_load (Probe      *probe,
            OsiClient  *client,
            guint       count,
            gboolean    first,
            gboolean    changed,
            const char *label)
{
  g_autofree char *emitted = NULL;
  gboolean loaded;
  gint64 t0;
  gint64 deadline;

  probe->hook = probe->chain = 0;
  probe->expect_change = first || changed;
  reset_emissions (probe);
  t0 = now_us ();
  if (first)
    osi_window_set_client (probe->window, client, NULL);
  else
    gtk_widget_activate_action (GTK_WIDGET (probe->window), "win.refresh", NULL);
  loaded = wait_stamp (&probe->chain, t0, 60000);
  /* The rows are reused (osi-slot-model.c): a list that comes back the
   * same changes no pixel and would paint no frame. The frame asked for
   * here is the one that shows whatever did change. */
  if (loaded)
    gtk_widget_queue_draw (GTK_WIDGET (probe->window));
  if (!loaded ||
      !wait_stamp (&probe->last_paint, probe->chain, 5000) ||
      (first && !wait_stamp (&probe->last_settled_paint, probe->chain, 5000)))
    {
      g_printerr ("bench-app: no list after %s (state %s, banner %s)\n", first ? "set_client" : "win.refresh",
                  osi_window_get_state (probe->window), osi_window_get_banner_text (probe->window));
      return FALSE;
    }
  /* Not timed: whatever the window asks the server after the list (what
   * it offers) ends before the next step. */
  deadline = now_us () + 5 * G_USEC_PER_SEC;
  while (osi_window_get_working (probe->window) && now_us () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (osi_window_get_working (probe->window) || !list_shown (probe, count))
    {
      g_printerr ("bench-app: after the load the window shows %s/%s with %u backups, not %u\n",
                  osi_window_get_state (probe->window), osi_window_get_list_state (probe->window),
                  g_list_model_get_n_items (osi_window_get_sorted_model (probe->window)), count);
      return FALSE;
    }
  emitted = emissions (probe, t0);
  if (first)
    g_print ("load %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s\n",
             probe->hook - t0, probe->chain - t0, probe->last_paint - t0, probe->last_settled_paint - t0, emitted);
  else
    g_print ("%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s\n", label,
             probe->hook - t0, probe->chain - t0, probe->last_paint - t0, emitted);
  return TRUE;
}

/* Waits for search-changed after a change made at t0, then for a frame. */
static gboolean
child_search_step (Probe      *probe,
                   gint64      t0,
                   const char *label)
{
  g_autofree char *emitted = NULL;
  gint64 frame;

  if (!wait_stamp (&probe->search_end, t0, 5000))
    {
      g_printerr ("bench-app: no search-changed after “%s”\n", label != NULL ? label : "");
      return FALSE;
    }
  /* A keystroke that changes nothing on screen paints no frame. */
  frame = wait_stamp (&probe->last_paint, probe->search_end, 500) ? probe->last_paint - probe->search_start : -1;
  emitted = emissions (probe, probe->search_start);
  if (label != NULL)
    g_print ("key %s %u %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s\n", label,
             g_list_model_get_n_items (osi_window_get_sorted_model (probe->window)),
             probe->search_end - probe->search_start, frame, emitted);
  else
    g_print ("clear %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s\n", probe->search_end - probe->search_start, frame,
             emitted);
  return TRUE;
}

/* Change i of the backup folder, in turn: a new backup, the newest, with
 * its checksum file written after it as the server does; a backup's date
 * set back (its file touched); the new backup removed. *count follows. */
static gboolean
change_backups (const char *backups_dir,
                guint       i,
                guint      *count)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *added = g_strdup_printf ("backup_20260101_0000%02u.tar.zst", i / 3);
  g_autofree char *added_path = g_build_filename (backups_dir, added, NULL);
  g_autofree char *side_path = g_strdup_printf ("%s/.%s.sha256", backups_dir, added);

  switch (i % 3)
    {
    case 0:
      {
        const char content[] = "a backup made during the benchmark";
        g_autofree char *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)content,
                                                               sizeof content - 1);
        g_autofree char *side = g_strdup_printf ("%s  %s\n", sha256, added);

        if (!g_file_set_contents (added_path, content, sizeof content - 1, &error) ||
            !g_file_set_contents (side_path, side, -1, &error))
          break;
        (*count)++;
        return TRUE;
      }
    case 1:
      {
        g_autoptr(GDir) dir = g_dir_open (backups_dir, 0, &error);
        const char *name;
        guint skip = 1000 * i;

        while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
          if (name[0] != '.' && skip-- == 0)
            {
              g_autofree char *path = g_build_filename (backups_dir, name, NULL);
              /* 2000-01-01, an hour later each time: a date it never had. */
              struct timespec times[2] = { { 946684800 + 3600 * (time_t)i, 0 }, { 946684800 + 3600 * (time_t)i, 0 } };

              if (utimensat (AT_FDCWD, path, times, 0) < 0)
                {
                  g_printerr ("bench-app: cannot touch %s: %s\n", path, g_strerror (errno));
                  return FALSE;
                }
              return TRUE;
            }
        break;
      }
    default:
      if (g_unlink (added_path) < 0 || g_unlink (side_path) < 0)
        {
          g_printerr ("bench-app: cannot remove %s: %s\n", added_path, g_strerror (errno));
          return FALSE;
        }
      (*count)--;
      return TRUE;
    }
  g_printerr ("bench-app: cannot change the backup folder: %s\n", error != NULL ? error->message : "no backup");
  return FALSE;
}

static int
child_window (const char *url,
              const char *count_text,
              const char *backups_dir)
{
  g_autoptr(OsiClient) client = NULL;
  guint count = (guint)g_ascii_strtoull (count_text, NULL, 10);
  Probe probe = { 0 };
  GdkFrameClock *clock;
  struct rusage usage;

  /* The window's own hook has nothing to say here. */
  g_unsetenv ("OSI_BACKUP_REPORT_FIRST_LIST_FRAME");
  gtk_init ();
  adw_init ();
  g_timeout_add (20, wake_up, NULL);

  probe.window = osi_window_new (NULL);
  g_object_ref_sink (probe.window);
  probe.store = osi_window_get_store (probe.window);
  probe.entry = GTK_WIDGET (osi_window_get_search_entry (probe.window));
  probe.stack = GTK_STACK (gtk_widget_get_ancestor (probe.entry, GTK_TYPE_STACK));
  find_models (&probe);
  if (probe.filter == NULL || probe.sort == NULL)
    {
      g_printerr ("bench-app: no filter or sort model between the page and the store\n");
      return 1;
    }
  g_signal_add_emission_hook (g_signal_lookup ("items-changed", G_TYPE_LIST_MODEL), 0, store_hook, &probe, NULL);
  g_signal_add_emission_hook (g_signal_lookup ("search-changed", GTK_TYPE_SEARCH_ENTRY), 0, search_hook, &probe,
                              NULL);
  g_signal_connect_after (probe.store, "items-changed", G_CALLBACK (on_store_changed), &probe);
  g_signal_connect_after (probe.page, "items-changed", G_CALLBACK (on_page_changed), &probe);
  g_signal_connect (probe.window, "notify::working", G_CALLBACK (on_working), &probe);
  g_signal_connect_after (probe.entry, "search-changed", G_CALLBACK (on_search_changed), &probe);

  gtk_window_present (GTK_WINDOW (probe.window));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (probe.window));
  g_assert (clock != NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &probe);
  settle (300);

  client = osi_client_new (url, TOKEN);
  if (!child_load (&probe, client, count, TRUE, TRUE, "load"))
    return 1;
  settle (300);
  getrusage (RUSAGE_SELF, &usage);
  g_print ("peak %ld\n", usage.ru_maxrss);

  /* The answer unchanged: the client sees it by its SHA-256 and gives back
   * the same backups, nothing is parsed (information). */
  for (guint i = 0; i < REFRESH_RUNS; i++)
    {
      if (!child_load (&probe, client, count, FALSE, FALSE, "unchanged"))
        return 1;
      settle (300);
    }

  /* Before each of these, one backup is added, touched or removed on the
   * server: the answer differs, the client reads and parses all of it
   * again and the window takes the new list, the path of a refresh that
   * shows something new. */
  for (guint i = 0; i < REFRESH_RUNS; i++)
    {
      if (!change_backups (backups_dir, i, &count))
        return 1;
      if (!child_load (&probe, client, count, FALSE, TRUE, "changed"))
        return 1;
      settle (300);
      getrusage (RUSAGE_SELF, &usage);
      g_print ("peak %ld\n", usage.ru_maxrss);
    }

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      for (const char *c = queries[q]; *c != '\0'; c++)
        {
          g_autofree char *typed = g_strndup (queries[q], (gsize)(c - queries[q]) + 1);
          int position = (int)(c - queries[q]);
          gint64 t0 = now_us ();

          reset_emissions (&probe);
          gtk_editable_insert_text (GTK_EDITABLE (probe.entry), c, 1, &position);
          if (!child_search_step (&probe, t0, typed))
            return 1;
        }
      settle (200);
      {
        gint64 t0 = now_us ();

        reset_emissions (&probe);
        gtk_editable_set_text (GTK_EDITABLE (probe.entry), "");
        if (!child_search_step (&probe, t0, NULL))
          return 1;
      }
      settle (200);
    }

  getrusage (RUSAGE_SELF, &usage);
  g_print ("rss %ld\n", usage.ru_maxrss);
  gtk_window_destroy (GTK_WINDOW (probe.window));
  g_object_unref (probe.window);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* The floor (--child-floor): what GTK, libadwaita and this machine take
 * for a bare AdwApplicationWindow with a header bar and a label, the
 * size of ours, to its first frame; printed like the app's hook.          */

static void
floor_after_paint (GdkFrameClock *clock,
                   gpointer       user_data)
{
  g_printerr ("first-list-frame %" G_GINT64_FORMAT "\n", now_us ());
  g_signal_handlers_disconnect_by_func (clock, floor_after_paint, user_data);
}

static void
floor_activate (GtkApplication *app)
{
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), gtk_label_new ("OSI Backup"));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 960, 680);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (floor_after_paint), NULL);
}

static int
child_floor (char *argv0)
{
  g_autoptr(AdwApplication) app = adw_application_new ("org.osi.Backup.BenchFloor", G_APPLICATION_NON_UNIQUE);
  char *argv[] = { argv0, NULL };

  g_signal_connect (app, "activate", G_CALLBACK (floor_activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}

/* ------------------------------------------------------------------------ */
/* Children of the benchmark: the app, the window part                      */

/* What a signal (SIGINT, SIGTERM from meson's timeout, SIGHUP) stops: the
 * child running and the servers; the main thread then cleans up. */
static volatile sig_atomic_t stop_signal;
static volatile pid_t        running_child;
static volatile pid_t        running_servers[2];

static void
on_signal (int sig)
{
  stop_signal = sig;
  if (running_child > 0)
    kill (running_child, SIGKILL);
  for (guint i = 0; i < G_N_ELEMENTS (running_servers); i++)
    if (running_servers[i] > 0)
      kill (running_servers[i], SIGTERM);
}

static void
signals_init (void)
{
  struct sigaction action = { 0 };

  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGHUP, &action, NULL);
}

static char **child_env;
static const char *app_program;
static const char *self_program;

/* fork + exec with stdout and stderr into the given descriptors; the
 * child dies with this process. Returns the pid, or -1. */
static pid_t
spawn (char * const *argv,
       int           out_fd,
       int           err_fd)
{
  pid_t parent = getpid ();
  pid_t pid = fork ();

  if (pid < 0)
    {
      g_printerr ("bench-app: fork: %s\n", g_strerror (errno));
      return -1;
    }
  if (pid == 0)
    {
      int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);

      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (127);
      signal (SIGINT, SIG_DFL);
      signal (SIGTERM, SIG_DFL);
      signal (SIGHUP, SIG_DFL);
      if (null_fd >= 0)
        dup2 (null_fd, STDIN_FILENO);
      dup2 (out_fd, STDOUT_FILENO);
      dup2 (err_fd, STDERR_FILENO);
      execve (argv[0], argv, child_env);
      _exit (127);
    }
  running_child = pid;
  return pid;
}

static gboolean
reap (pid_t          pid,
      struct rusage *usage,
      const char    *what)
{
  int status = 0;
  pid_t r;

  do
    r = wait4 (pid, &status, 0, usage);
  while (r < 0 && errno == EINTR);
  running_child = 0;
  if (r != pid)
    {
      g_printerr ("bench-app: wait4 (%s): %s\n", what, g_strerror (errno));
      return FALSE;
    }
  if (WIFSIGNALED (status) && WTERMSIG (status) != SIGTERM)
    {
      g_printerr ("bench-app: %s died of signal %d\n", what, WTERMSIG (status));
      return FALSE;
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    {
      g_printerr ("bench-app: %s exited with status %d\n", what, WEXITSTATUS (status));
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  double ms;        /* start to the first list frame */
  double hwm_mib;   /* VmHWM then */
  double maxrss_mib;
} AppRun;

/* Starts the app on url (the floor when url is NULL); reads its stderr
 * until "first-list-frame T"; then stops it with SIGTERM. */
static gboolean
run_app (const char *url,
         AppRun     *run)
{
  char *app_argv[] = { (char *)app_program, (char *)"--server", (char *)url, NULL };
  char *floor_argv[] = { (char *)self_program, (char *)"--child-floor", NULL };
  char **argv = url != NULL ? app_argv : floor_argv;
  g_autoptr(GString) err = g_string_new (NULL);
  struct rusage usage;
  int fds[2];
  gint64 t0, frame = -1;
  gboolean ok;
  pid_t pid;
  double rss;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return FALSE;
  t0 = now_us ();
  pid = spawn (argv, STDERR_FILENO, fds[1]);
  close (fds[1]);
  if (pid < 0)
    {
      close (fds[0]);
      return FALSE;
    }

  while (frame < 0 && !stop_signal)
    {
      struct pollfd pfd = { fds[0], POLLIN, 0 };
      gint64 left = t0 + APP_TIMEOUT_S * G_USEC_PER_SEC - now_us ();
      char buffer[4096];
      const char *line;
      ssize_t n;

      if (left <= 0 || poll (&pfd, 1, (int)(left / 1000) + 1) <= 0)
        break;
      n = read (fds[0], buffer, sizeof buffer);
      if (n <= 0)
        break;
      g_string_append_len (err, buffer, n);
      line = strstr (err->str, "first-list-frame ");
      if (line != NULL && strchr (line, '\n') != NULL)
        frame = g_ascii_strtoll (line + strlen ("first-list-frame "), NULL, 10);
    }
  if (frame > 0)
    process_memory (pid, &run->hwm_mib, &rss);
  kill (pid, SIGTERM);
  /* Closed once it is gone: a last message would otherwise be its SIGPIPE. */
  ok = reap (pid, &usage, argv[0]);
  close (fds[0]);
  if (!ok || frame < 0)
    {
      if (frame < 0)
        g_printerr ("bench-app: osi-backup printed no first-list-frame within %d s%s; its stderr:\n%s\n",
                    APP_TIMEOUT_S, strstr (err->str, "first-list-frame") == NULL
                                     ? " (does this build have the OSI_BACKUP_REPORT_FIRST_LIST_FRAME hook?)" : "",
                    err->str);
      return FALSE;
    }
  run->ms = (double)(frame - t0) / 1000.0;
  run->maxrss_mib = usage.ru_maxrss / 1024.0;
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The benchmark                                                            */

/* When each model of the chain had done its work, in ms after the change
 * (its items-changed began): the medians show where the time goes. */
typedef struct
{
  GArray *filter;
  GArray *sort;
  GArray *page;
  GArray *rows;
  GArray *done;
} Emissions;

static void
emissions_init (Emissions *e)
{
  e->filter = g_array_new (FALSE, FALSE, sizeof (double));
  e->sort = g_array_new (FALSE, FALSE, sizeof (double));
  e->page = g_array_new (FALSE, FALSE, sizeof (double));
  e->rows = g_array_new (FALSE, FALSE, sizeof (double));
  e->done = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
emissions_clear (Emissions *e)
{
  g_array_unref (e->filter);
  g_array_unref (e->sort);
  g_array_unref (e->page);
  g_array_unref (e->rows);
  g_array_unref (e->done);
}

/* fields: the 4 figures of emissions () in µs after the start, -1 when
 * that did not happen; base and done in ms. */
static void
emissions_add (Emissions   *e,
               char       **fields,
               double       base,
               double       done)
{
  GArray *arrays[] = { e->filter, e->sort, e->page, e->rows };

  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    {
      double ms = g_ascii_strtod (fields[i], NULL) / 1000.0;

      if (ms >= 0)
        {
          ms -= base;
          g_array_append_val (arrays[i], ms);
        }
    }
  done -= base;
  g_array_append_val (e->done, done);
}

static char *
describe_step (const char *what,
               GArray     *values)
{
  if (values->len == 0)
    return g_strdup_printf ("%s never changed", what);
  return g_strdup_printf ("%s at %.1f ms (%u)", what, bench_median ((double *)values->data, values->len), values->len);
}

static char *
emissions_describe (Emissions *e)
{
  g_autofree char *filter = describe_step ("filter model done", e->filter);
  g_autofree char *sort = describe_step ("sort model", e->sort);
  g_autofree char *page = describe_step ("page model", e->page);
  g_autofree char *rows = describe_step ("its rows", e->rows);
  g_autofree char *done = describe_step ("all done", e->done);

  return g_strdup_printf ("%s, %s, %s, %s, %s (medians of those that changed, how many)", filter, sort, page, rows,
                          done);
}

typedef struct
{
  const char *tmp;

  /* 1. start */
  gboolean    have_start;
  AppRun      start_warmup;
  AppRun      start[START_RUNS];
  gboolean    have_floor;
  AppRun      floor[START_RUNS];

  /* 2. 100,000 backups */
  double      make_s;
  double      first_list_ms;
  double      hashed_s;       /* < 0: not all hashed in time */
  gboolean    have_server;
  double      server_ms[LIST_RUNS];
  gsize       body_bytes;
  gboolean    have_parse;
  double      parse_ms[LIST_RUNS];

  gboolean    have_window;
  double      load_hook, load_chain, load_paint, load_settled;
  /* after a change on the server */
  double      refresh_hook[REFRESH_RUNS], refresh_model[REFRESH_RUNS];
  double      refresh_frame[REFRESH_RUNS], refresh_total[REFRESH_RUNS];
  Emissions   refresh_steps;  /* after the store's items-changed began */
  /* the answer unchanged */
  double      unchanged_total[REFRESH_RUNS];
  Emissions   key_steps;      /* after search-changed began */
  GArray     *key_model;      /* double ms */
  GArray     *key_frame;      /* double ms, painted frames only */
  GString    *key_lines;
  double      clear_model[G_N_ELEMENTS (queries)];
  double      window_rss_mib;
  GString    *peaks;          /* after each new list, MiB */

  gboolean    have_big_app;
  AppRun      big_app;
} Bench;

static gboolean
phase_start (Bench *b)
{
  g_autofree char *dir = g_build_filename (b->tmp, "start", NULL);
  g_autofree char *backups = g_build_filename (dir, "backups", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) error = NULL;
  OsiTestServer *server;
  gboolean ok = TRUE;

  g_print ("bench-app: [1] %d backups (osi_demo_backups_populate) on a real osi-backup-server\n", START_COUNT);
  g_mkdir_with_parents (dir, 0700);
  data = osi_test_generate_data (dir, 256 * 1024, 1);
  if (!osi_demo_backups_populate (backups, START_COUNT, now, 7, NULL, &error))
    {
      g_printerr ("bench-app: cannot make the backups: %s\n", error->message);
      return FALSE;
    }
  server = osi_test_server_start (dir, data, backups, TOKEN, NULL);
  running_servers[0] = server->pid;

  g_print ("bench-app: [1] osi-backup --server %s: one warm-up run, then %d runs\n", server->url, START_RUNS);
  ok = run_app (server->url, &b->start_warmup);
  for (guint i = 0; ok && i < START_RUNS; i++)
    ok = run_app (server->url, &b->start[i]);
  b->have_start = ok;
  g_print ("bench-app: [1] the floor, a bare AdwApplicationWindow: %d runs\n", START_RUNS);
  for (guint i = 0; ok && i < START_RUNS; i++)
    ok = run_app (NULL, &b->floor[i]);
  b->have_floor = ok;

  running_servers[0] = 0;
  osi_test_server_stop (server);
  osi_test_server_free (server);
  return ok && !stop_signal;
}

static gboolean
write_file (const char            *path,
            const void            *data,
            gsize                  len,
            const struct timespec *times)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  if (fd < 0 || write (fd, data, len) != (ssize_t)len || (times != NULL && futimens (fd, times) < 0))
    {
      g_printerr ("bench-app: cannot write %s: %s\n", path, g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* BIG_COUNT tiny files named as the server names backups, newest on
 * 2025-06-30, each last modified at the time of its name; sizes vary.
 * Beside each, the checksum the server keeps once it has hashed a backup
 * (.NAME.sha256, in sha256sum's format, written after the file): the
 * server starts as it runs after its first listing, without hashing
 * 100,000 files in the background first. And the catalog a server that
 * made and verified them holds (bench-seed.c: every backup a kind, most
 * verified, some with a note or protected): the list carries the
 * members of docs/api.md §6.2. */
static gboolean
make_big_dir (const char *backups)
{
  g_autoptr(GDateTime) newest = g_date_time_new_utc (2025, 6, 30, 22, 47, 13);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree gint64 *made_at = g_new (gint64, BIG_COUNT);
  char content[4096];

  memset (content, 'x', sizeof content);
  if (g_mkdir_with_parents (backups, 0700) != 0)
    return FALSE;
  for (guint i = 0; i < BIG_COUNT && !stop_signal; i++)
    {
      g_autoptr(GDateTime) t = g_date_time_add_seconds (newest, -(double)i * BIG_STEP_S);
      char *name = g_date_time_format (t, "backup_%Y%m%d_%H%M%S.tar.zst");
      g_autofree char *path = g_build_filename (backups, name, NULL);
      g_autofree char *side_name = g_strconcat (".", name, ".sha256", NULL);
      g_autofree char *side_path = g_build_filename (backups, side_name, NULL);
      g_autofree char *sha256 = NULL;
      g_autofree char *side = NULL;
      struct timespec times[2] = { { g_date_time_to_unix (t), 0 }, { g_date_time_to_unix (t), 0 } };
      gsize len = 64 + (i * 7919u) % 3000;

      g_ptr_array_add (names, name);
      made_at[i] = g_date_time_to_unix (t);
      sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)content, len);
      side = g_strdup_printf ("%s  %s\n", sha256, name);
      if (!write_file (path, content, len, times) || !write_file (side_path, side, strlen (side), NULL))
        return FALSE;
    }
  return !stop_signal && bench_seed_catalog (backups, (char * const *)names->pdata, made_at, names->len);
}

/* GET /api/rag/backup read whole; the time in ms, or < 0. */
static double
get_list (SoupSession *session,
          const char  *url,
          GBytes     **out_body)
{
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t0;
  double ms;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer " TOKEN);
  t0 = now_us ();
  body = soup_session_send_and_read (session, msg, NULL, &error);
  ms = (double)(now_us () - t0) / 1000.0;
  if (body == NULL || soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_printerr ("bench-app: GET %s: %s\n", url, error != NULL ? error->message : soup_message_get_reason_phrase (msg));
      return -1;
    }
  if (out_body != NULL)
    *out_body = g_steal_pointer (&body);
  return ms;
}

static guint
count_hashed (GBytes *body)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autofree char *text = g_strndup (data, len);
  guint n = 0;

  for (const char *p = strstr (text, "\"sha256\":\""); p != NULL; p = strstr (p + 1, "\"sha256\":\""))
    n++;
  return n;
}

static gboolean
measure_server_and_parse (Bench      *b,
                          const char *url)
{
  g_autofree char *list_url = g_strconcat (url, "/api/rag/backup", NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 0, NULL);
  g_autoptr(GBytes) body = NULL;
  gint64 start;

  b->first_list_ms = get_list (session, list_url, &body);
  if (b->first_list_ms < 0)
    return FALSE;

  /* Every entry should have its sha256 from its checksum file; were one
   * missing, the server would hash it in the background: wait for the
   * steady state, every entry hashed. */
  start = now_us ();
  b->hashed_s = 0;
  for (;;)
    {
      guint hashed = count_hashed (body);

      if (hashed >= BIG_COUNT || stop_signal)
        break;
      b->hashed_s = (double)(now_us () - start) / G_USEC_PER_SEC;
      if (b->hashed_s > HASH_TIMEOUT_S)
        {
          g_print ("bench-app: [2] after %d s, %u of %d entries have their sha256; measuring anyway\n",
                   HASH_TIMEOUT_S, hashed, BIG_COUNT);
          b->hashed_s = -1;
          break;
        }
      g_usleep (G_USEC_PER_SEC);
      g_clear_pointer (&body, g_bytes_unref);
      if (get_list (session, list_url, &body) < 0)
        return FALSE;
    }

  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_clear_pointer (&body, g_bytes_unref);
      b->server_ms[i] = get_list (session, list_url, &body);
      if (b->server_ms[i] < 0)
        return FALSE;
    }
  b->body_bytes = g_bytes_get_size (body);
  b->have_server = TRUE;

  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_autoptr(GPtrArray) list = NULL;
      g_autoptr(GError) error = NULL;
      gsize len;
      const char *data = g_bytes_get_data (body, &len);
      gint64 t0, t1;

      t0 = now_us ();
      list = osi_backup_info_list_parse (data, len, NULL, &error);
      t1 = now_us ();
      if (list == NULL || list->len != BIG_COUNT)
        {
          g_printerr ("bench-app: the list holds %u backups, not %d: %s\n", list != NULL ? list->len : 0,
                      BIG_COUNT, error != NULL ? error->message : "");
          return FALSE;
        }
      b->parse_ms[i] = (double)(t1 - t0) / 1000.0;
    }
  b->have_parse = TRUE;
  return TRUE;
}

static gboolean
parse_window_output (Bench      *b,
                     const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint refreshes = 0, unchanged = 0, clears = 0;
  gboolean have_load = FALSE, have_rss = FALSE;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (lines[i], " ", -1);
      guint n = g_strv_length (f);

#define MS(k) (g_ascii_strtod (f[k], NULL) / 1000.0)
      if (n == 9 && strcmp (f[0], "load") == 0)
        {
          b->load_hook = MS (1);
          b->load_chain = MS (2);
          b->load_paint = MS (3);
          b->load_settled = MS (4);
          have_load = TRUE;
        }
      else if (n == 8 && strcmp (f[0], "changed") == 0 && refreshes < REFRESH_RUNS)
        {
          emissions_add (&b->refresh_steps, f + 4, MS (1), MS (2));
          b->refresh_hook[refreshes] = MS (1);
          b->refresh_model[refreshes] = MS (2) - MS (1);
          b->refresh_frame[refreshes] = MS (3) - MS (2);
          b->refresh_total[refreshes] = MS (3);
          refreshes++;
        }
      else if (n == 8 && strcmp (f[0], "unchanged") == 0 && unchanged < REFRESH_RUNS)
        {
          b->unchanged_total[unchanged] = MS (3);
          unchanged++;
        }
      else if (n == 9 && strcmp (f[0], "key") == 0)
        {
          double model = MS (3);
          double frame = MS (4);

          emissions_add (&b->key_steps, f + 5, 0, model);
          g_array_append_val (b->key_model, model);
          if (frame >= 0)
            g_array_append_val (b->key_frame, frame);
          g_string_append_printf (b->key_lines, "%s%s→%s: %.1f", b->key_lines->len > 0 ? ", " : "", f[1], f[2],
                                  model);
        }
      else if (n == 7 && strcmp (f[0], "clear") == 0 && clears < G_N_ELEMENTS (queries))
        b->clear_model[clears++] = MS (1);
      else if (n == 2 && strcmp (f[0], "peak") == 0)
        g_string_append_printf (b->peaks, "%s%.1f", b->peaks->len > 0 ? " " : "", g_ascii_strtod (f[1], NULL) / 1024.0);
      else if (n == 2 && strcmp (f[0], "rss") == 0)
        {
          b->window_rss_mib = g_ascii_strtod (f[1], NULL) / 1024.0;
          have_rss = TRUE;
        }
#undef MS
    }
  return have_load && have_rss && refreshes == REFRESH_RUNS && unchanged == REFRESH_RUNS && b->key_model->len > 0;
}

static gboolean
phase_big (Bench *b)
{
  g_autofree char *dir = g_build_filename (b->tmp, "big", NULL);
  g_autofree char *backups = g_build_filename (dir, "backups", NULL);
  g_autofree char *out = g_build_filename (b->tmp, "window.out", NULL);
  g_autofree char *count = g_strdup_printf ("%d", BIG_COUNT);
  g_autofree char *data = NULL;
  OsiTestServer *server;
  gint64 t0;
  gboolean ok;

  g_print ("bench-app: [2] making %d backups (tiny files) in %s\n", BIG_COUNT, backups);
  t0 = now_us ();
  g_mkdir_with_parents (dir, 0700);
  data = osi_test_generate_data (dir, 64 * 1024, 2);
  if (!make_big_dir (backups))
    return FALSE;
  b->make_s = (double)(now_us () - t0) / G_USEC_PER_SEC;

  server = osi_test_server_start (dir, data, backups, TOKEN, NULL);
  running_servers[1] = server->pid;
  g_print ("bench-app: [2] server %s\n", server->url);
  ok = measure_server_and_parse (b, server->url);

  if (ok && !stop_signal)
    {
      char *argv[] = { (char *)self_program, (char *)"--child-window", server->url, count, (char *)backups, NULL };
      struct rusage usage;
      int out_fd = open (out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      pid_t pid;

      g_print ("bench-app: [2] the window: a first load, %d refreshes of an unchanged answer, %d after a change "
               "on the server, %u queries typed\n", REFRESH_RUNS, REFRESH_RUNS, (guint)G_N_ELEMENTS (queries));
      pid = out_fd >= 0 ? spawn (argv, out_fd, STDERR_FILENO) : -1;
      if (out_fd >= 0)
        close (out_fd);
      ok = pid > 0 && reap (pid, &usage, "the window part");
      if (ok)
        ok = b->have_window = parse_window_output (b, out);
    }

  if (ok && !stop_signal)
    {
      g_print ("bench-app: [2] osi-backup --server on the %d backups\n", BIG_COUNT);
      ok = b->have_big_app = run_app (server->url, &b->big_app);
    }

  running_servers[1] = 0;
  osi_test_server_stop (server);
  osi_test_server_free (server);
  return ok && !stop_signal;
}

static gboolean
check (const char *what,
       double      value,
       double      target,
       const char *unit)
{
  gboolean ok = value >= 0 && value < target;

  g_print ("target %s: %.1f %s (target < %.0f %s) %s\n", what, value, unit, target, unit, ok ? "OK" : "MISSED");
  return ok;
}

static gboolean
print_results (Bench *b)
{
  gboolean ok = TRUE;

  g_print ("\n== 1. start to the first frame showing the list, %d backups ==\n", START_COUNT);
  if (b->have_start)
    {
      double ms[START_RUNS], hwm[START_RUNS];
      g_autofree char *runs = NULL;

      for (guint i = 0; i < START_RUNS; i++)
        {
          ms[i] = b->start[i].ms;
          hwm[i] = b->start[i].hwm_mib;
        }
      runs = format_ms (ms, START_RUNS);
      g_print ("runs (ms): %s; warm-up run %.1f ms; peak RSS (VmHWM) %.1f MiB\n", runs, b->start_warmup.ms,
               bench_median (hwm, START_RUNS));
      g_print ("  (the frame: backups in the list, the crossfade from the loading page over)\n");
      if (b->have_floor)
        {
          for (guint i = 0; i < START_RUNS; i++)
            {
              ms[i] = b->floor[i].ms;
              hwm[i] = b->floor[i].hwm_mib;
            }
          g_print ("  the floor, a bare AdwApplicationWindow with a header bar to its first frame: %.1f ms, "
                   "VmHWM %.1f MiB (medians; GTK, libadwaita and this machine, renderer %s)\n",
                   bench_median (ms, START_RUNS), bench_median (hwm, START_RUNS),
                   g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "GTK's default");
          for (guint i = 0; i < START_RUNS; i++)
            ms[i] = b->start[i].ms;
        }
      ok &= check ("start to first list frame (median of 5)", bench_median (ms, START_RUNS), START_TARGET_MS, "ms");
    }
  else
    {
      g_print ("  not measured\n");
      ok = FALSE;
    }

  g_print ("\n== 2. %d backups ==\n", BIG_COUNT);
  g_print ("made in %.1f s, with their checksum files; the server's first listing (it reads every checksum "
           "file) %.0f ms; %s\n", b->make_s, b->first_list_ms,
           b->hashed_s < 0 ? "NOT every entry had its sha256 in the end"
           : b->hashed_s > 0 ? "every entry had its sha256 after background hashing"
           : "every entry had its sha256");
  if (b->have_server)
    {
      g_autofree char *runs = format_ms (b->server_ms, LIST_RUNS);

      g_print ("server response (GET /api/rag/backup, read whole by libsoup, %.1f MiB): %.1f ms median of %d "
               "(runs: %s)\n", b->body_bytes / MIB, bench_median (b->server_ms, LIST_RUNS), LIST_RUNS, runs);
    }
  if (b->have_parse)
    g_print ("client parse (streaming reader to OsiBackupInfo, as OsiClient): %.1f ms median of %d (information: "
             "bench-server's target)\n", bench_median (b->parse_ms, LIST_RUNS), LIST_RUNS);
  if (b->have_window)
    {
      g_autofree char *runs = format_ms (b->refresh_total, REFRESH_RUNS);
      double keys = bench_median ((double *)b->key_model->data, b->key_model->len);
      g_autofree char *unchanged = format_ms (b->unchanged_total, REFRESH_RUNS);
      g_autofree char *steps = NULL;
      double *sorted;

      g_print ("refresh after a change on the server (win.refresh over the list shown, once each after a backup "
               "was added, touched, removed, added, touched: the whole answer read and parsed again, new objects "
               "for what changed, the models redone) runs (ms): %s\n", runs);
      g_print ("  medians: request, response and parse, to the store's items-changed %.1f ms; the models "
               "(filter, sort, page, rows, labels) %.1f ms; then the next frame painted %.1f ms (with what the "
               "main loop runs before it, such as the client freeing the old backups)\n",
               bench_median (b->refresh_hook, REFRESH_RUNS), bench_median (b->refresh_model, REFRESH_RUNS),
               bench_median (b->refresh_frame, REFRESH_RUNS));
      steps = emissions_describe (&b->refresh_steps);
      g_print ("  after the store's items-changed began: %s\n", steps);
      g_print ("  information: refresh of an unchanged answer (the client sees the same SHA-256 and parses "
               "nothing; the store is left alone) %.1f ms median (runs (ms): %s)\n",
               bench_median (b->unchanged_total, REFRESH_RUNS), unchanged);
      g_print ("first load (osi_window_set_client on the empty window): the store had the list at %.1f ms, the "
               "models %.1f ms more; first frame with the list at %.1f ms, crossfade over at %.1f ms\n", b->load_hook,
               b->load_chain - b->load_hook, b->load_paint, b->load_settled);
      ok &= check ("refresh after a change on the server to the list shown (median of 5)",
                   bench_median (b->refresh_total, REFRESH_RUNS), REFRESH_TARGET_MS, "ms");
      ok &= check ("first load to the first frame with the list", b->load_paint, REFRESH_TARGET_MS, "ms");

      g_print ("\nkeystrokes (query typed→backups shown: ms from search-changed to the models updated): %s\n",
               b->key_lines->str);
      sorted = g_memdup2 (b->key_model->data, b->key_model->len * sizeof (double));
      qsort (sorted, b->key_model->len, sizeof (double), bench_compare_doubles);
      g_print ("  %u keystrokes: median %.1f ms, slowest %.1f ms; to the next frame painted: median %.1f ms "
               "(%u keystrokes painted); emptying the entry %.1f/%.1f/%.1f ms\n", b->key_model->len, keys,
               sorted[b->key_model->len - 1],
               bench_median ((double *)b->key_frame->data, b->key_frame->len), b->key_frame->len,
               b->clear_model[0], b->clear_model[1], b->clear_model[2]);
      g_free (sorted);
      g_free (steps);
      steps = emissions_describe (&b->key_steps);
      g_print ("  after search-changed began: %s\n", steps);
      ok &= check ("filter latency per keystroke (median)", keys, KEY_TARGET_MS, "ms");

      g_print ("\n");
      g_print ("peak RSS of the window process after the first load and after each refresh after a change (MiB): "
               "%s (information)\n", b->peaks->str);
      ok &= check ("peak RSS of the window process (ru_maxrss)", b->window_rss_mib, RSS_TARGET_MIB, "MiB");
    }
  else
    {
      g_print ("  the window part: not measured\n");
      ok = FALSE;
    }
  if (b->have_big_app)
    {
      g_print ("osi-backup --server with %d backups: first list frame %.0f ms after start (information)\n",
               BIG_COUNT, b->big_app.ms);
      ok &= check ("peak RSS of osi-backup holding them (VmHWM)", b->big_app.hwm_mib, RSS_TARGET_MIB, "MiB");
    }
  else
    {
      g_print ("  osi-backup on %d backups: not measured\n", BIG_COUNT);
      ok = FALSE;
    }
  return ok;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *tmp = NULL;
  g_autofree char *self = NULL;
  const char *base;
  gboolean complete, ok;
  Bench b = { 0 };

  g_set_prgname ("bench-app");
  if (argc == 5 && strcmp (argv[1], "--child-window") == 0)
    return child_window (argv[2], argv[3], argv[4]);
  if (argc == 2 && strcmp (argv[1], "--child-floor") == 0)
    return child_floor (argv[0]);

  setlocale (LC_ALL, "");
  if (g_getenv ("DISPLAY") == NULL || *g_getenv ("DISPLAY") == '\0')
    {
      g_printerr ("bench-app: no $DISPLAY: run it under Xvfb (.ci/run starts one; or xvfb-run -a -s "
                  "\"-screen 0 1280x800x24\" meson test -C BUILD --benchmark app)\n");
      return 1;
    }
  app_program = bench_program_from_env ("OSI_BACKUP_APP");
  if (app_program == NULL || bench_program_from_env ("OSI_BACKUP_SERVER") == NULL)
    return 1;
  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self == NULL)
    return 1;
  self_program = self;

  child_env = g_get_environ ();
  child_env = g_environ_setenv (child_env, "OSI_BACKUP_TOKEN", TOKEN, TRUE);
  child_env = g_environ_setenv (child_env, "OSI_BACKUP_REPORT_FIRST_LIST_FRAME", "1", TRUE);
  child_env = g_environ_unsetenv (child_env, "OSI_BACKUP_SCREENSHOT");
  signals_init ();

  base = g_getenv ("OSI_BENCH_DIR");
  if (base == NULL || *base == '\0')
    base = g_get_tmp_dir ();
  tmp = g_build_filename (base, "osi-bench-app-XXXXXX", NULL);
  if (g_mkdtemp (tmp) == NULL)
    {
      g_printerr ("bench-app: cannot create a folder in %s: %s\n", base, g_strerror (errno));
      return 1;
    }
  b.tmp = tmp;
  emissions_init (&b.refresh_steps);
  emissions_init (&b.key_steps);
  b.key_model = g_array_new (FALSE, FALSE, sizeof (double));
  b.key_frame = g_array_new (FALSE, FALSE, sizeof (double));
  b.key_lines = g_string_new (NULL);
  b.peaks = g_string_new (NULL);
  {
    g_autofree char *load = bench_load_average ();

    g_print ("bench-app: %u CPUs, load average %s at the start; display %s; renderer %s; GDK_DEBUG %s\n",
             g_get_num_processors (), load, g_getenv ("DISPLAY"),
             g_getenv ("GSK_RENDERER") != NULL ? g_getenv ("GSK_RENDERER") : "GTK's default",
             g_getenv ("GDK_DEBUG") != NULL ? g_getenv ("GDK_DEBUG") : "unset");
  }

  /* The window part needs no hook in the app: it runs even when the
   * start could not be measured. */
  complete = phase_start (&b);
  if (!stop_signal)
    complete &= phase_big (&b);
  ok = print_results (&b);
  {
    g_autofree char *load = bench_load_average ();

    g_print ("\nbench-app: load average %s at the end (the machine's other work counts in the times)\n", load);
  }

  bench_remove_tree (tmp);
  emissions_clear (&b.refresh_steps);
  emissions_clear (&b.key_steps);
  g_array_unref (b.key_model);
  g_array_unref (b.key_frame);
  g_string_free (b.key_lines, TRUE);
  g_string_free (b.peaks, TRUE);
  g_strfreev (child_env);
  if (stop_signal)
    {
      g_printerr ("bench-app: stopped by signal %d\n", (int)stop_signal);
      return 128 + stop_signal;
    }
  if (!complete)
    {
      g_print ("\nbench-app: STOPPED before the end (see the messages above)\n");
      return 1;
    }
  g_print ("\nbench-app: %s\n", ok ? "all targets met" : "TARGETS MISSED");
  return ok ? 0 : 1;
}
