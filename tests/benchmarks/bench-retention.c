/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The retention planner (osi_retention_plan) over 100,000 backups: the
 * median of five plans must stay under 200 ms, for a usual policy and for
 * one whose counts are never used up (every backup's local day, week and
 * month computed).
 *
 * The list is what a busy server accumulates: 2 to 16 backups a day at
 * random times (Paris time) for about 30 years, one in a hundred
 * protected, one in a thousand without a date, a few sharing their
 * instant with another, in no particular order. The dates are made before
 * the clock starts: the server and the CLI hold them already.
 *
 *   bench-retention [--backups N]     N backups (default 100000)
 */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <time.h>

#include "bench-support.h"
#include "osi-retention.h"

#define RUNS        5
#define TIME_TARGET 0.200
#define SEED        20260329

typedef struct
{
  OsiRetentionBackup *backups;
  guint               n_backups;
  guint               n_protected;
  guint               n_unknown;
  guint               n_days;  /* that have a dated backup */
  GPtrArray          *names;
} List;

static void
list_clear (List *list)
{
  for (guint i = 0; i < list->n_backups; i++)
    g_clear_pointer (&list->backups[i].date, g_date_time_unref);
  g_clear_pointer (&list->backups, g_free);
  g_clear_pointer (&list->names, g_ptr_array_unref);
}

static void
list_make (List      *list,
           guint      n_backups,
           GTimeZone *time_zone)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(GDateTime) today = g_date_time_new (time_zone, 2026, 3, 29, 0, 0, 0);
  guint n_days_made = 0;
  guint i = 0;

  memset (list, 0, sizeof *list);
  list->backups = g_new0 (OsiRetentionBackup, n_backups);
  list->n_backups = n_backups;
  list->names = g_ptr_array_new_full (n_backups, g_free);

  /* From today backwards, a day at a time. */
  while (i < n_backups)
    {
      g_autoptr(GDateTime) day = g_date_time_add_days (today, -(int) n_days_made);
      guint n_today = (guint) g_rand_int_range (rand, 2, 17);
      gboolean dated = FALSE;
      int year, month, day_of_month;

      g_date_time_get_ymd (day, &year, &month, &day_of_month);
      n_days_made++;
      for (guint k = 0; k < n_today && i < n_backups; k++, i++)
        {
          OsiRetentionBackup *backup = &list->backups[i];
          GDateTime *date;

          /* By the wall clock, so that each lands on its day even when the
           * day has 23 or 25 hours. */
          if (k > 0 && g_rand_int_range (rand, 0, 200) == 0 && list->backups[i - 1].date != NULL)
            date = g_date_time_ref (list->backups[i - 1].date);
          else
            date = g_date_time_new (time_zone, year, month, day_of_month, g_rand_int_range (rand, 0, 24),
                                    g_rand_int_range (rand, 0, 60), g_rand_double_range (rand, 0, 60));
          g_ptr_array_add (list->names, g_date_time_format (date, "osi-backup-%Y%m%d-%H%M%S.tar.zst"));
          backup->name = list->names->pdata[i];
          backup->date = date;
          backup->is_protected = g_rand_int_range (rand, 0, 100) == 0;
          list->n_protected += backup->is_protected;
          if (g_rand_int_range (rand, 0, 1000) == 0)
            {
              g_clear_pointer (&backup->date, g_date_time_unref);
              list->n_unknown++;
            }
          dated = dated || backup->date != NULL;
        }
      list->n_days += dated;
    }

  /* A list comes in no particular order. */
  for (i = n_backups; i > 1; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i);
      OsiRetentionBackup swap = list->backups[i - 1];

      list->backups[i - 1] = list->backups[j];
      list->backups[j] = swap;
    }
}

static double
cpu_seconds (void)
{
  struct timespec now;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

/* Plans RUNS times; prints the figures and checks what every plan must
 * hold. Returns whether the target was met. */
static gboolean
measure (const List               *list,
         const char               *label,
         const OsiRetentionPolicy *policy,
         GTimeZone                *time_zone)
{
  g_autofree OsiRetentionReasons *reasons = g_new (OsiRetentionReasons, list->n_backups);
  g_autofree guint *order = g_new (guint, list->n_backups);
  g_autofree char *times = NULL;
  double seconds[RUNS];
  double cpu[RUNS];
  double median;
  guint kept = 0;
  guint daily = 0;
  guint weekly = 0;
  guint monthly = 0;

  for (guint run = 0; run < RUNS; run++)
    {
      gint64 start = g_get_monotonic_time ();
      double cpu_start = cpu_seconds ();

      osi_retention_plan (list->backups, list->n_backups, policy, time_zone, reasons, order);
      seconds[run] = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
      cpu[run] = cpu_seconds () - cpu_start;
    }

  for (guint i = 0; i < list->n_backups; i++)
    {
      const OsiRetentionBackup *backup = &list->backups[i];

      kept += reasons[i] != OSI_RETENTION_REMOVE;
      daily += (reasons[i] & OSI_RETENTION_DAILY) != 0;
      weekly += (reasons[i] & OSI_RETENTION_WEEKLY) != 0;
      monthly += (reasons[i] & OSI_RETENTION_MONTHLY) != 0;
      if ((backup->is_protected || backup->date == NULL) && reasons[i] == OSI_RETENTION_REMOVE)
        {
          g_printerr ("bench-retention: %s: the plan removes %s, which must be kept\n", label, backup->name);
          return FALSE;
        }
    }
  if (daily != MIN ((guint) policy->keep_daily, list->n_days) ||
      (reasons[order[0]] & OSI_RETENTION_LAST) == 0)
    {
      g_printerr ("bench-retention: %s: %u daily backups kept over %u days (%d asked), the newest %s\n",
                  label, daily, list->n_days, policy->keep_daily,
                  (reasons[order[0]] & OSI_RETENTION_LAST) != 0 ? "kept" : "not kept");
      return FALSE;
    }

  median = bench_median (seconds, RUNS);
  times = bench_format_ms (seconds, RUNS);
  g_print ("bench-retention: %s (keep_last %d, keep_daily %d, keep_weekly %d, keep_monthly %d): "
           "%u kept (%u daily, %u weekly, %u monthly), %u removed\n",
           label, policy->keep_last, policy->keep_daily, policy->keep_weekly, policy->keep_monthly,
           kept, daily, weekly, monthly, list->n_backups - kept);
  g_print ("bench-retention: %s: median %.1f ms over %d plans (%s ms; target < %.0f ms) %s\n",
           label, median * 1000, RUNS, times, TIME_TARGET * 1000, median < TIME_TARGET ? "OK" : "MISSED");
  /* On a busy machine the wall time is a multiple of this. */
  g_print ("bench-retention: %s: CPU time median %.1f ms\n", label, bench_median (cpu, RUNS) * 1000);

  return median < TIME_TARGET;
}

int
main (int    argc,
      char **argv)
{
  const OsiRetentionPolicy usual = { 10, 14, 8, 24 };
  const OsiRetentionPolicy everything = { 10, G_MAXINT, G_MAXINT, G_MAXINT };
  g_autoptr(GTimeZone) time_zone = NULL;
  g_autofree char *load = NULL;
  List list;
  guint n_backups = 100000;
  gint64 start;
  gboolean ok;

  setlocale (LC_ALL, "");
  g_set_prgname ("bench-retention");
  if (argc == 3 && strcmp (argv[1], "--backups") == 0)
    n_backups = (guint) g_ascii_strtoull (argv[2], NULL, 10);
  if (n_backups == 0 || argc == 2 || argc > 3)
    {
      g_printerr ("bench-retention: usage: bench-retention [--backups N]\n");
      return 2;
    }

  /* The installed zone, with its history of transitions; the rule alone
   * where tzdata is missing. */
  time_zone = g_time_zone_new_identifier ("Europe/Paris");
  if (time_zone == NULL)
    time_zone = g_time_zone_new_identifier ("CET-1CEST,M3.5.0,M10.5.0/3");

  start = g_get_monotonic_time ();
  list_make (&list, n_backups, time_zone);
  load = bench_load_average ();
  g_print ("bench-retention: %u backups over %u days in %s, %u protected, %u without a date "
           "(made in %.0f ms); load average %s\n",
           list.n_backups, list.n_days, g_time_zone_get_identifier (time_zone), list.n_protected,
           list.n_unknown, (g_get_monotonic_time () - start) / 1000.0, load);

  ok = measure (&list, "usual policy", &usual, time_zone);
  ok = measure (&list, "every bucket", &everything, time_zone) && ok;
  list_clear (&list);

  g_print ("bench-retention: %s\n", ok ? "all targets met" : "TARGETS MISSED");
  return ok ? 0 : 1;
}
