/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <time.h>

#include "osi-error.h"
#include "osi-retention.h"

/* Europe/Paris as a POSIX rule, independent of the installed tzdata. */
#define PARIS_TZ "CET-1CEST,M3.5.0,M10.5.0/3"
/* The machine's zone in this test: New York, so that a planner that used
 * it instead of the one it is given would be caught. */
#define LOCAL_TZ "EST5EDT,M3.2.0,M11.1.0"

#define L  OSI_RETENTION_LAST
#define D  OSI_RETENTION_DAILY
#define W  OSI_RETENTION_WEEKLY
#define M  OSI_RETENTION_MONTHLY
#define P  OSI_RETENTION_PROTECTED
#define U  OSI_RETENTION_UNKNOWN_DATE
#define RM OSI_RETENTION_REMOVE

#define MAX_CASE_BACKUPS 16

typedef struct
{
  const char          *name;
  /* ISO 8601; without an offset, Paris time; NULL for an unknown date. */
  const char          *date;
  gboolean             is_protected;
  OsiRetentionReasons  expected;
} CaseBackup;

typedef struct
{
  const char         *path;
  OsiRetentionPolicy  policy;
  /* Up to the first without a name. */
  CaseBackup          backups[MAX_CASE_BACKUPS];
} Case;

static const Case cases[] = {
  {
    "/retention/keep-last/default", OSI_RETENTION_POLICY_DEFAULT,
    {
      { "a", "2026-05-01T10:00:00", FALSE, RM },
      { "b", "2026-05-02T10:00:00", FALSE, RM },
      { "c", "2026-05-03T10:00:00", FALSE, L },
      { "d", "2026-05-04T10:00:00", FALSE, L },
      { "e", "2026-05-05T10:00:00", FALSE, L },
    },
  },
  {
    "/retention/keep-last/five", { 5, 0, 0, 0 },
    {
      { "a", "2026-05-01T10:00:00", FALSE, RM },
      { "b", "2026-05-01T11:00:00", FALSE, RM },
      { "c", "2026-05-01T12:00:00", FALSE, L },
      { "d", "2026-05-01T13:00:00", FALSE, L },
      { "e", "2026-05-01T14:00:00", FALSE, L },
      { "f", "2026-05-01T15:00:00", FALSE, L },
      { "g", "2026-05-01T16:00:00", FALSE, L },
    },
  },
  {
    /* A policy that validation refuses is still planned above the floor. */
    "/retention/keep-last/below-floor", { 1, 0, 0, 0 },
    {
      { "a", "2026-05-01T10:00:00", FALSE, RM },
      { "b", "2026-05-02T10:00:00", FALSE, L },
      { "c", "2026-05-03T10:00:00", FALSE, L },
      { "d", "2026-05-04T10:00:00", FALSE, L },
    },
  },
  {
    /* Days without a backup (3, 5, 6) do not count. */
    "/retention/daily/gaps", { 3, 4, 0, 0 },
    {
      { "b01", "2026-03-01T10:00:00", FALSE, RM },
      { "b02", "2026-03-02T10:00:00", FALSE, D },
      { "b03", "2026-03-04T09:00:00", FALSE, RM },
      { "b04", "2026-03-04T18:00:00", FALSE, D },
      { "b05", "2026-03-07T08:00:00", FALSE, RM },
      { "b06", "2026-03-07T12:00:00", FALSE, L },
      { "b07", "2026-03-07T20:00:00", FALSE, L | D },
      { "b08", "2026-03-08T10:00:00", FALSE, L | D },
    },
  },
  {
    /* The newest of each day, whatever the others of that day. */
    "/retention/daily/same-day", { 3, 2, 0, 0 },
    {
      { "d2-4", "2026-06-02T23:59:59", FALSE, L | D },
      { "d2-1", "2026-06-02T00:00:00", FALSE, RM },
      { "d2-3", "2026-06-02T12:00:00", FALSE, L },
      { "d2-2", "2026-06-02T06:00:00", FALSE, L },
      { "d1-1", "2026-06-01T00:00:01", FALSE, RM },
      { "d1-3", "2026-06-01T23:00:00", FALSE, D },
      { "d1-2", "2026-06-01T12:00:00", FALSE, RM },
      { "d0-1", "2026-05-31T23:59:59", FALSE, RM },
    },
  },
  {
    /* More days asked than there are: every day's newest. */
    "/retention/daily/more-than-days", { 3, 30, 0, 0 },
    {
      { "a", "2026-01-10T08:00:00", FALSE, RM },
      { "b", "2026-01-10T09:00:00", FALSE, D },
      { "c", "2026-01-20T08:00:00", FALSE, RM },
      { "d", "2026-01-20T09:00:00", FALSE, D },
      { "e", "2026-01-30T08:00:00", FALSE, L },
      { "f", "2026-01-30T09:00:00", FALSE, L },
      { "g", "2026-01-30T10:00:00", FALSE, L | D },
    },
  },
  {
    /* Weeks 2026-W10 (2 March) to W16, without W11, W13 and W14. */
    "/retention/weekly/gaps", { 3, 0, 3, 0 },
    {
      { "w10", "2026-03-08T20:00:00", FALSE, RM },
      { "w12-mon", "2026-03-16T08:00:00", FALSE, RM },
      { "w12-sun", "2026-03-22T23:30:00", FALSE, W },
      { "w15", "2026-04-10T10:00:00", FALSE, W },
      { "w16-mon", "2026-04-13T10:00:00", FALSE, L },
      { "w16-tue", "2026-04-14T10:00:00", FALSE, L },
      { "w16-wed", "2026-04-15T10:00:00", FALSE, L | W },
    },
  },
  {
    "/retention/monthly/gaps", { 3, 0, 0, 3 },
    {
      { "jan", "2026-01-31T23:59:00", FALSE, RM },
      { "mar-1", "2026-03-01T00:01:00", FALSE, RM },
      { "mar-31", "2026-03-31T22:00:00", FALSE, M },
      { "jun-1", "2026-06-01T10:00:00", FALSE, RM },
      { "jun-2", "2026-06-15T10:00:00", FALSE, M },
      { "jul-1", "2026-07-01T10:00:00", FALSE, L },
      { "jul-2", "2026-07-02T10:00:00", FALSE, L },
      { "jul-3", "2026-07-03T10:00:00", FALSE, L | M },
    },
  },
  {
    /* Every rule at once: reasons add up. */
    "/retention/combined", { 3, 2, 2, 3 },
    {
      { "a", "2026-01-15T10:00:00", FALSE, M },
      { "b", "2026-02-10T10:00:00", FALSE, RM },
      { "c", "2026-02-20T10:00:00", FALSE, M },
      { "d", "2026-03-02T10:00:00", FALSE, RM },
      { "e", "2026-03-05T10:00:00", FALSE, W },
      { "f", "2026-03-10T10:00:00", FALSE, RM },
      { "g", "2026-03-11T10:00:00", FALSE, D },
      { "h", "2026-03-12T10:00:00", FALSE, L },
      { "i", "2026-03-12T11:00:00", FALSE, L },
      { "j", "2026-03-12T12:00:00", FALSE, L | D | W | M },
    },
  },
  {
    /* Equal instants: the greater name ranks as the newer. The last two
     * are one instant written in two offsets. */
    "/retention/equal-timestamps", { 3, 2, 0, 0 },
    {
      { "x1", "2026-05-01T10:00:00", FALSE, L | D },
      { "x2", "2026-05-01T09:00:00", FALSE, L },
      { "m", "2026-05-01T08:00:00", FALSE, RM },
      { "n", "2026-05-01T08:00:00", FALSE, L },
      { "p", "2026-04-30T20:00:00+02:00", FALSE, RM },
      { "q", "2026-04-30T18:00:00Z", FALSE, D },
    },
  },
  {
    /* Instants a microsecond apart are not equal, whatever the names. */
    "/retention/microseconds", { 3, 2, 0, 0 },
    {
      { "z", "2026-05-02T00:00:00.000000", FALSE, L | D },
      { "a", "2026-05-01T23:59:59.999999", FALSE, L | D },
      { "b", "2026-05-01T23:59:59.999998", FALSE, L },
      { "c", "2026-05-01T23:59:59.999997", FALSE, RM },
    },
  },
  {
    /* Protection keeps a backup and changes nothing else: the protected
     * newest one is still one of the three "last", and the protected
     * newest of 3 May still fills that day. */
    "/retention/protected", { 3, 3, 0, 0 },
    {
      { "old", "2025-01-01T10:00:00", TRUE, P },
      { "b", "2026-05-01T10:00:00", FALSE, RM },
      { "c1", "2026-05-02T10:00:00", FALSE, D },
      { "c2", "2026-05-03T09:00:00", FALSE, RM },
      { "c3", "2026-05-03T10:00:00", TRUE, P | D },
      { "d", "2026-05-04T10:00:00", FALSE, L },
      { "e", "2026-05-04T11:00:00", FALSE, L },
      { "new", "2026-05-04T12:00:00", TRUE, L | D | P },
    },
  },
  {
    /* Unknown dates: kept, and not one of the three newest. */
    "/retention/unknown-dates", OSI_RETENTION_POLICY_DEFAULT,
    {
      { "u1", NULL, FALSE, U },
      { "a", "2026-05-01T10:00:00", FALSE, RM },
      { "u2", NULL, TRUE, U | P },
      { "b", "2026-05-02T10:00:00", FALSE, L },
      { "c", "2026-05-03T10:00:00", FALSE, L },
      { "d", "2026-05-04T10:00:00", FALSE, L },
    },
  },
  {
    "/retention/unknown-dates/few-dated", { 3, 1, 1, 1 },
    {
      { "u1", NULL, FALSE, U },
      { "u2", NULL, FALSE, U },
      { "u3", NULL, FALSE, U },
      { "a", "2026-05-01T10:00:00", FALSE, L },
      { "b", "2026-05-02T10:00:00", FALSE, L | D | W | M },
    },
  },
  {
    /* 29 March 2026: clocks go from 02:00 to 03:00. 01:30 and 03:30 are
     * the same day; 00:30 on the 30th is the 30th although it is still
     * the 29th in UTC. */
    "/retention/dst/spring-forward", { 3, 3, 0, 0 },
    {
      { "d1", "2026-03-28T23:30:00+01:00", FALSE, D },
      { "d2", "2026-03-29T01:30:00+01:00", FALSE, RM },
      { "d3", "2026-03-29T03:30:00+02:00", FALSE, D },
      { "d4", "2026-03-30T00:30:00+02:00", FALSE, RM },
      { "d5", "2026-03-30T10:00:00+02:00", FALSE, L },
      { "d6", "2026-03-30T11:00:00+02:00", FALSE, L },
      { "d7", "2026-03-30T12:00:00+02:00", FALSE, L | D },
    },
  },
  {
    /* 25 October 2026: clocks go from 03:00 back to 02:00, so 02:30
     * happens twice, both on the 25th; 00:30 on the 26th is the 26th
     * although it is still the 25th in UTC. */
    "/retention/dst/fall-back", { 3, 3, 0, 0 },
    {
      { "f1", "2026-10-24T23:30:00+02:00", FALSE, D },
      { "f2", "2026-10-25T02:30:00+02:00", FALSE, RM },
      { "f3", "2026-10-25T02:30:00+01:00", FALSE, RM },
      { "f4", "2026-10-25T23:30:00+01:00", FALSE, D },
      { "f5", "2026-10-26T00:30:00+01:00", FALSE, RM },
      { "f6", "2026-10-26T10:00:00+01:00", FALSE, L },
      { "f7", "2026-10-26T11:00:00+01:00", FALSE, L },
      { "f8", "2026-10-26T12:00:00+01:00", FALSE, L | D },
    },
  },
  {
    /* The later 02:30 of 25 October is the newer one and the day's
     * newest. */
    "/retention/dst/fall-back-twice", { 3, 2, 0, 0 },
    {
      { "early", "2026-10-24T10:00:00", FALSE, L | D },
      { "first", "2026-10-25T02:30:00+02:00", FALSE, L },
      { "second", "2026-10-25T02:30:00+01:00", FALSE, L | D },
      { "older", "2026-10-24T09:00:00", FALSE, RM },
      { "oldest", "2026-10-23T09:00:00", FALSE, RM },
    },
  },
  {
    /* 2026-12-28 (Monday) to 2027-01-03 (Sunday) is 2026-W53; 2027-W01
     * starts on 4 January. */
    "/retention/weekly/new-year", { 3, 0, 3, 2 },
    {
      { "w1", "2026-12-27T12:00:00", FALSE, W },
      { "w2", "2026-12-28T12:00:00", FALSE, RM },
      { "w3", "2026-12-31T12:00:00", FALSE, M },
      { "w4", "2027-01-01T12:00:00", FALSE, RM },
      { "w5", "2027-01-03T12:00:00", FALSE, W },
      { "w6", "2027-01-04T12:00:00", FALSE, RM },
      { "w7", "2027-01-05T12:00:00", FALSE, L },
      { "w8", "2027-01-06T12:00:00", FALSE, L },
      { "w9", "2027-01-07T12:00:00", FALSE, L | W | M },
    },
  },
  {
    /* 00:30 on 1 January in Paris is still 31 December in UTC. */
    "/retention/monthly/new-year-local", { 3, 0, 0, 2 },
    {
      { "dec", "2026-12-31T22:00:00", FALSE, M },
      { "jan", "2027-01-01T00:30:00", FALSE, RM },
      { "a", "2027-01-10T10:00:00", FALSE, L },
      { "b", "2027-01-11T10:00:00", FALSE, L },
      { "c", "2027-01-12T10:00:00", FALSE, L | M },
    },
  },
  {
    "/retention/few/none", { 3, 5, 5, 5 },
    { { NULL } },
  },
  {
    "/retention/few/one", { 3, 5, 5, 5 },
    {
      { "a", "2026-05-01T10:00:00", FALSE, L | D | W | M },
    },
  },
  {
    "/retention/few/two", OSI_RETENTION_POLICY_DEFAULT,
    {
      { "a", "2026-05-01T10:00:00", FALSE, L },
      { "b", "2026-05-01T10:00:00", FALSE, L },
    },
  },
  {
    "/retention/few/three", { 3, 1, 0, 0 },
    {
      { "a", "2020-05-01T10:00:00", FALSE, L },
      { "b", "2026-05-01T10:00:00", FALSE, L },
      { "c", "2026-05-01T10:00:01", FALSE, L | D },
    },
  },
};

static GTimeZone *paris;

static guint
case_length (const Case *c)
{
  guint n = 0;

  while (n < MAX_CASE_BACKUPS && c->backups[n].name != NULL)
    n++;

  return n;
}

static char *
reasons_to_text (OsiRetentionReasons reasons)
{
  const char *strings[OSI_RETENTION_MAX_STRINGS + 1];
  g_autofree char *joined = NULL;

  osi_retention_reasons_to_strings (reasons, strings);
  joined = g_strjoinv (",", (char **) strings);

  return g_strdup_printf ("%s%s (0x%x)", joined[0] != '\0' ? joined : "remove",
                          (reasons & OSI_RETENTION_UNKNOWN_DATE) != 0 ? " unknown date" : "",
                          (guint) reasons);
}

/* Plans the case's backups in the given order (a permutation of the
 * case's indices) and checks every backup's reasons and the ranking. */
static void
check_case_in_order (const Case  *c,
                     GTimeZone   *time_zone,
                     const guint *permutation,
                     guint        n)
{
  OsiRetentionBackup backups[MAX_CASE_BACKUPS] = { { NULL } };
  GDateTime *dates[MAX_CASE_BACKUPS] = { NULL };
  OsiRetentionReasons reasons[MAX_CASE_BACKUPS];
  guint order[MAX_CASE_BACKUPS];
  gboolean seen[MAX_CASE_BACKUPS] = { FALSE };

  for (guint i = 0; i < n; i++)
    {
      const CaseBackup *cb = &c->backups[permutation[i]];

      if (cb->date != NULL)
        {
          dates[i] = g_date_time_new_from_iso8601 (cb->date, time_zone);
          g_assert_nonnull (dates[i]);
        }
      backups[i].name = cb->name;
      backups[i].date = dates[i];
      backups[i].is_protected = cb->is_protected;
      reasons[i] = 0xdead;
      order[i] = G_MAXUINT;
    }

  osi_retention_plan (backups, n, &c->policy, time_zone, reasons, order);

  for (guint i = 0; i < n; i++)
    {
      const CaseBackup *cb = &c->backups[permutation[i]];

      if (reasons[i] != cb->expected)
        {
          g_autofree char *got = reasons_to_text (reasons[i]);
          g_autofree char *expected = reasons_to_text (cb->expected);

          g_error ("%s: backup “%s”: got %s, expected %s", c->path, cb->name, got, expected);
        }
    }

  /* The ranking: every index once, dated backups newest first (equal
   * instants by name, greater first), unknown dates last by name. */
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (order[i], <, n);
      g_assert_false (seen[order[i]]);
      seen[order[i]] = TRUE;
    }
  for (guint i = 0; i + 1 < n; i++)
    {
      const OsiRetentionBackup *a = &backups[order[i]];
      const OsiRetentionBackup *b = &backups[order[i + 1]];

      if (a->date == NULL)
        {
          g_assert_null (b->date);
          g_assert_cmpint (strcmp (a->name, b->name), <, 0);
        }
      else if (b->date != NULL)
        {
          int by_date = g_date_time_compare (a->date, b->date);

          g_assert_cmpint (by_date, >=, 0);
          if (by_date == 0)
            g_assert_cmpint (strcmp (a->name, b->name), >, 0);
        }
    }

  for (guint i = 0; i < n; i++)
    g_clear_pointer (&dates[i], g_date_time_unref);
}

/* The plan must not depend on the order of the list: the case as
 * written, reversed, and shuffled. */
static void
test_case (gconstpointer data)
{
  const Case *c = data;
  guint n = case_length (c);
  guint permutation[MAX_CASE_BACKUPS] = { 0 };
  g_autoptr(GTimeZone) paris_file = g_time_zone_new_identifier ("Europe/Paris");

  for (guint i = 0; i < n; i++)
    permutation[i] = i;
  check_case_in_order (c, paris, permutation, n);

  for (guint i = 0; i < n; i++)
    permutation[i] = n - 1 - i;
  check_case_in_order (c, paris, permutation, n);

  for (guint round = 0; round < 20; round++)
    {
      for (guint i = n; i > 1; i--)
        {
          guint j = g_test_rand_int_range (0, i);
          guint swap = permutation[i - 1];

          permutation[i - 1] = permutation[j];
          permutation[j] = swap;
        }
      check_case_in_order (c, paris, permutation, n);
    }

  /* The installed zone gives the same plan, when there is one. */
  if (paris_file != NULL)
    {
      for (guint i = 0; i < n; i++)
        permutation[i] = i;
      check_case_in_order (c, paris_file, permutation, n);
    }
}

static void
test_validate (void)
{
  static const struct
  {
    OsiRetentionPolicy  policy;
    const char         *member;  /* NULL when valid */
  } policies[] = {
    { OSI_RETENTION_POLICY_DEFAULT, NULL },
    { { 3, 7, 4, 12 }, NULL },
    { { G_MAXINT, G_MAXINT, G_MAXINT, G_MAXINT }, NULL },
    { { 2, 0, 0, 0 }, "keep_last" },
    { { 0, 7, 4, 12 }, "keep_last" },
    { { -1, 0, 0, 0 }, "keep_last" },
    { { G_MININT, 0, 0, 0 }, "keep_last" },
    { { 3, -1, 0, 0 }, "keep_daily" },
    { { 3, 0, -1, 0 }, "keep_weekly" },
    { { 3, 0, 0, G_MININT }, "keep_monthly" },
    /* The first wrong member is named. */
    { { 1, -1, -1, -1 }, "keep_last" },
  };
  const OsiRetentionPolicy defaults = OSI_RETENTION_POLICY_DEFAULT;

  /* §6's defaults. */
  g_assert_cmpint (defaults.keep_last, ==, 3);
  g_assert_cmpint (defaults.keep_daily, ==, 0);
  g_assert_cmpint (defaults.keep_weekly, ==, 0);
  g_assert_cmpint (defaults.keep_monthly, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean valid = osi_retention_policy_validate (&policies[i].policy, &error);

      if (policies[i].member == NULL)
        {
          g_assert_no_error (error);
          g_assert_true (valid);
        }
      else
        {
          g_assert_error (error, OSI_ERROR, OSI_ERROR_INVALID_DATA);
          g_assert_false (valid);
          g_assert_nonnull (strstr (error->message, policies[i].member));
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
        }
    }

  /* Without a GError to fill. */
  {
    const OsiRetentionPolicy bad = { 2, 0, 0, 0 };

    g_assert_false (osi_retention_policy_validate (&bad, NULL));
  }
}

static void
test_strings (void)
{
  static const struct
  {
    OsiRetentionReasons  reasons;
    const char          *expected;
  } table[] = {
    { RM, "" },
    { L, "last" },
    { D, "daily" },
    { W, "weekly" },
    { M, "monthly" },
    { P, "protected" },
    { U, "protected" },
    { U | P, "protected" },
    { M | L | P, "last,monthly,protected" },
    { L | D | W | M | P | U, "last,daily,weekly,monthly,protected" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      const char *strings[OSI_RETENTION_MAX_STRINGS + 2];
      g_autofree char *joined = NULL;
      guint n;

      strings[OSI_RETENTION_MAX_STRINGS + 1] = "untouched";
      n = osi_retention_reasons_to_strings (table[i].reasons, strings);
      g_assert_cmpuint (n, <=, OSI_RETENTION_MAX_STRINGS);
      g_assert_null (strings[n]);
      g_assert_cmpstr (strings[OSI_RETENTION_MAX_STRINGS + 1], ==, "untouched");
      joined = g_strjoinv (",", (char **) strings);
      g_assert_cmpstr (joined, ==, table[i].expected);
    }
}

/* Without a time zone, the machine's is used (New York here): 23:30 in
 * New York is the next morning in Paris, so the two plans differ. */
static void
test_local_time_zone (void)
{
  static const char * const dates[] = {
    "2026-06-01T09:00:00-04:00",
    "2026-06-01T23:30:00-04:00",
    "2026-06-02T10:00:00-04:00",
    "2026-06-02T11:00:00-04:00",
    "2026-06-02T12:00:00-04:00",
  };
  const OsiRetentionPolicy policy = { 3, 3, 0, 0 };
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  OsiRetentionBackup backups[G_N_ELEMENTS (dates)];
  OsiRetentionReasons by_default[G_N_ELEMENTS (dates)];
  OsiRetentionReasons in_local[G_N_ELEMENTS (dates)];
  OsiRetentionReasons in_paris[G_N_ELEMENTS (dates)];

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    {
      backups[i].name = dates[i];
      backups[i].date = g_date_time_new_from_iso8601 (dates[i], NULL);
      backups[i].is_protected = FALSE;
      g_assert_nonnull (backups[i].date);
    }

  osi_retention_plan (backups, G_N_ELEMENTS (dates), &policy, NULL, by_default, NULL);
  osi_retention_plan (backups, G_N_ELEMENTS (dates), &policy, local, in_local, NULL);
  osi_retention_plan (backups, G_N_ELEMENTS (dates), &policy, paris, in_paris, NULL);

  g_assert_cmpmem (by_default, sizeof by_default, in_local, sizeof in_local);
  /* New York: 1 June's newest is 23:30. Paris: 23:30 is 2 June, and
   * 1 June's newest is 09:00. */
  g_assert_cmpuint (in_local[0], ==, RM);
  g_assert_cmpuint (in_local[1], ==, D);
  g_assert_cmpuint (in_paris[0], ==, D);
  g_assert_cmpuint (in_paris[1], ==, RM);

  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    g_date_time_unref (backups[i].date);
}

/* Names may be missing (a list entry without one): they rank as "". */
static void
test_null_names (void)
{
  const OsiRetentionPolicy policy = OSI_RETENTION_POLICY_DEFAULT;
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 5, 1, 10, 0, 0);
  g_autoptr(GDateTime) older = g_date_time_new_utc (2026, 4, 1, 10, 0, 0);
  const OsiRetentionBackup backups[] = {
    { NULL, date, FALSE },
    { "a", date, FALSE },
    { NULL, older, FALSE },
    { "b", older, FALSE },
    { NULL, NULL, FALSE },
  };
  OsiRetentionReasons reasons[G_N_ELEMENTS (backups)];
  guint order[G_N_ELEMENTS (backups)];

  osi_retention_plan (backups, G_N_ELEMENTS (backups), &policy, paris, reasons, order);

  g_assert_cmpuint (reasons[0], ==, L);
  g_assert_cmpuint (reasons[1], ==, L);
  g_assert_cmpuint (reasons[2], ==, RM);
  g_assert_cmpuint (reasons[3], ==, L);
  g_assert_cmpuint (reasons[4], ==, U);
  g_assert_cmpuint (order[0], ==, 1);
  g_assert_cmpuint (order[1], ==, 0);
  g_assert_cmpuint (order[2], ==, 3);
  g_assert_cmpuint (order[3], ==, 2);
  g_assert_cmpuint (order[4], ==, 4);
}

/* A caller that forgets the policy gets a warning and a plan that
 * removes nothing, not reasons left as they were. */
static void
test_no_policy (void)
{
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 5, 1, 10, 0, 0);
  OsiRetentionBackup backups[5];
  OsiRetentionReasons reasons[G_N_ELEMENTS (backups)];

  for (guint i = 0; i < G_N_ELEMENTS (backups); i++)
    {
      backups[i].name = "same";
      backups[i].date = date;
      backups[i].is_protected = FALSE;
      reasons[i] = OSI_RETENTION_REMOVE;
    }

  g_test_expect_message ("osi-core", G_LOG_LEVEL_CRITICAL, "*no policy given*");
  osi_retention_plan (backups, G_N_ELEMENTS (backups), NULL, paris, reasons, NULL);
  g_test_assert_expected_messages ();

  for (guint i = 0; i < G_N_ELEMENTS (backups); i++)
    g_assert_cmpuint (reasons[i], !=, OSI_RETENTION_REMOVE);
}

/* The planner's integer calendar against GDateTime's: random lists over
 * four centuries (1900 and 2100 are not leap years, 2000 is), the plan
 * of a straightforward walk over GDateTime's local dates, ISO weeks and
 * months. */

typedef struct
{
  OsiRetentionBackup *backup;
  guint               index;
} OracleItem;

static int
compare_oracle (gconstpointer a,
                gconstpointer b)
{
  const OracleItem *x = a;
  const OracleItem *y = b;
  int by_date = g_date_time_compare (y->backup->date, x->backup->date);

  if (by_date != 0)
    return by_date;
  if (strcmp (x->backup->name, y->backup->name) != 0)
    return strcmp (y->backup->name, x->backup->name);

  return (x->index > y->index) - (x->index < y->index);
}

static void
oracle_plan (OsiRetentionBackup        *backups,
             guint                      n,
             const OsiRetentionPolicy  *policy,
             GTimeZone                 *time_zone,
             OsiRetentionReasons       *reasons)
{
  g_autofree OracleItem *items = g_new (OracleItem, n);
  int left_daily = policy->keep_daily;
  int left_weekly = policy->keep_weekly;
  int left_monthly = policy->keep_monthly;
  int last_day = -1;
  int last_week = -1;
  int last_month = -1;

  for (guint i = 0; i < n; i++)
    {
      items[i].backup = &backups[i];
      items[i].index = i;
    }
  qsort (items, n, sizeof *items, compare_oracle);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GDateTime) local = g_date_time_to_timezone (items[i].backup->date, time_zone);
      OsiRetentionReasons why = items[i].backup->is_protected ? P : RM;
      int year, month, day, week;

      g_date_time_get_ymd (local, &year, &month, &day);
      week = g_date_time_get_week_numbering_year (local) * 100 + g_date_time_get_week_of_year (local);
      if ((int) i < MAX (policy->keep_last, 3))
        why |= L;
      if (left_daily > 0 && year * 10000 + month * 100 + day != last_day)
        {
          why |= D;
          last_day = year * 10000 + month * 100 + day;
          left_daily--;
        }
      if (left_weekly > 0 && week != last_week)
        {
          why |= W;
          last_week = week;
          left_weekly--;
        }
      if (left_monthly > 0 && year * 100 + month != last_month)
        {
          why |= M;
          last_month = year * 100 + month;
          left_monthly--;
        }
      reasons[items[i].index] = why;
    }
}

/* n backups at random between first and first + span; or, when every_day,
 * one a day from first on, with every bucket counted, so that each day's,
 * week's and month's last backup is flagged. */
static void
check_against_oracle (GTimeZone *time_zone,
                      gint64     first,
                      gint64     span,
                      guint      n,
                      gboolean   every_day)
{
  g_autofree OsiRetentionBackup *backups = g_new0 (OsiRetentionBackup, n);
  g_autofree OsiRetentionReasons *reasons = g_new (OsiRetentionReasons, n);
  g_autofree OsiRetentionReasons *expected = g_new (OsiRetentionReasons, n);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  /* Enough buckets that most of the list is walked through. */
  OsiRetentionPolicy policy = {
    g_test_rand_int_range (3, 10),
    g_test_rand_int_range (0, (int) n),
    g_test_rand_int_range (0, (int) n / 4 + 1),
    g_test_rand_int_range (0, (int) n / 8 + 1),
  };

  if (every_day)
    policy = (OsiRetentionPolicy) { 3, (int) n, (int) n, (int) n };

  for (guint i = 0; i < n; i++)
    {
      /* Some instants repeat, to rank by name. */
      gint64 seconds = first + (gint64) (g_test_rand_double () * (double) span);

      if (every_day)
        seconds = first + (gint64) i * 86400;
      else if (i > 0 && g_test_rand_int_range (0, 10) == 0)
        seconds = g_date_time_to_unix (backups[i - 1].date);
      backups[i].date = g_date_time_new_from_unix_utc (seconds);
      g_ptr_array_add (names, g_strdup_printf ("backup-%u", g_test_rand_int_range (0, 1000000)));
      backups[i].name = names->pdata[i];
      backups[i].is_protected = g_test_rand_int_range (0, 20) == 0;
    }

  osi_retention_plan (backups, n, &policy, time_zone, reasons, NULL);
  oracle_plan (backups, n, &policy, time_zone, expected);

  for (guint i = 0; i < n; i++)
    if (reasons[i] != expected[i])
      {
        g_autofree char *when = g_date_time_format_iso8601 (backups[i].date);
        g_autofree char *got = reasons_to_text (reasons[i]);
        g_autofree char *want = reasons_to_text (expected[i]);

        g_error ("%s in %s (policy %d/%d/%d/%d): got %s, expected %s", when,
                 g_time_zone_get_identifier (time_zone), policy.keep_last, policy.keep_daily,
                 policy.keep_weekly, policy.keep_monthly, got, want);
      }

  for (guint i = 0; i < n; i++)
    g_date_time_unref (backups[i].date);
}

static void
test_oracle (void)
{
  const char * const zones[] = { PARIS_TZ, "Europe/Paris", "UTC", "+05:45", "-09:30", "Pacific/Chatham" };

  for (guint z = 0; z < G_N_ELEMENTS (zones); z++)
    {
      g_autoptr(GTimeZone) time_zone = g_time_zone_new_identifier (zones[z]);

      if (time_zone == NULL)
        {
          g_test_message ("no time zone %s here", zones[z]);
          continue;
        }
      for (guint round = 0; round < 20; round++)
        {
          /* 1850 to 2250, sparse: every day and month boundary of the
           * Gregorian rules. */
          check_against_oracle (time_zone, -3786825600, G_GINT64_CONSTANT (12623040000), 400, FALSE);
          /* Around 2026, dense: several a day, like real backups. */
          check_against_oracle (time_zone, 1767225600, 90 * 86400, 400, FALSE);
        }

      /* Every day at 12:00 UTC for a year and a half from 1 December
       * 1599, 1899, 1969, 1999, 2099, 2399: leap years and the ends of
       * 400-year eras (2000-02-29 is the last day of one), and the days
       * before and after 1970-01-01. */
      for (guint i = 0; i < 6; i++)
        {
          static const int years[] = { 1599, 1899, 1969, 1999, 2099, 2399 };
          g_autoptr(GDateTime) start = g_date_time_new_utc (years[i], 12, 1, 12, 0, 0);

          check_against_oracle (time_zone, g_date_time_to_unix (start), 0, 548, TRUE);
        }
    }
}

/* The answer of a prune, as docs/api.md §6 writes it. */
static void
test_json (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  const char *names[] = { "b4", "b1", "b3", "b2", "b0" };
  const char *dates[] = { "2026-12-05T10:00:00Z", "2026-12-02T10:00:00Z", "2026-12-04T10:00:00Z",
                          "2026-12-03T10:00:00Z", "2026-12-01T10:00:00Z" };
  OsiRetentionBackup backups[5];
  OsiRetentionReasons reasons[5];
  guint order[5];
  const OsiRetentionPolicy policy = OSI_RETENTION_POLICY_DEFAULT;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; i < 5; i++)
    {
      backups[i].name = names[i];
      backups[i].date = g_date_time_new_from_iso8601 (dates[i], NULL);
      backups[i].is_protected = g_str_equal (names[i], "b0");
    }
  osi_retention_plan (backups, 5, &policy, utc, reasons, order);
  node = osi_retention_plan_to_json (backups, 5, reasons, order, TRUE);
  text = json_to_string (node, FALSE);
  g_assert_cmpstr (text, ==,
                   "{\"dry_run\":true,"
                   "\"keep\":[{\"name\":\"b4\",\"reasons\":[\"last\"]},{\"name\":\"b3\",\"reasons\":[\"last\"]},"
                   "{\"name\":\"b2\",\"reasons\":[\"last\"]},{\"name\":\"b0\",\"reasons\":[\"protected\"]}],"
                   "\"remove\":[{\"name\":\"b1\"}]}");

  for (guint i = 0; i < 5; i++)
    g_date_time_unref (backups[i].date);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything creates a GDateTime or caches the local time zone. */
  g_setenv ("TZ", LOCAL_TZ, TRUE);
  tzset ();

  g_test_init (&argc, &argv, NULL);

  paris = g_time_zone_new_identifier (PARIS_TZ);
  g_assert_nonnull (paris);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], test_case);
  g_test_add_func ("/retention/validate", test_validate);
  g_test_add_func ("/retention/strings", test_strings);
  g_test_add_func ("/retention/local-time-zone", test_local_time_zone);
  g_test_add_func ("/retention/null-names", test_null_names);
  g_test_add_func ("/retention/no-policy", test_no_policy);
  g_test_add_func ("/retention/oracle", test_oracle);
  g_test_add_func ("/retention/json", test_json);

  return g_test_run ();
}
