/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-clock.h"

typedef struct
{
  OsiClock  *clock;
  GPtrArray *seen;   /* "label@seconds since start" */
  gint64     start;
  guint      chained;
} Fixture;

typedef struct
{
  Fixture    *fixture;
  const char *label;
} Call;

static void
record (gpointer data)
{
  Call *call = data;
  g_autoptr(GDateTime) now = osi_clock_now (call->fixture->clock);

  g_ptr_array_add (call->fixture->seen,
                   g_strdup_printf ("%s@%" G_GINT64_FORMAT, call->label,
                                    g_date_time_to_unix (now) - call->fixture->start));
}

static GDateTime *
at (Fixture *f,
    gint64   seconds)
{
  return g_date_time_new_from_unix_utc (f->start + seconds);
}

static void
chain (gpointer data)
{
  static Call again = { NULL, "chained" };
  Fixture *f = data;
  g_autoptr(GDateTime) now = osi_clock_now (f->clock);
  g_autoptr(GDateTime) later = g_date_time_add_seconds (now, 10);

  record (&(Call) { f, "chain" });
  again.fixture = f;
  if (f->chained++ < 2)
    osi_clock_add_alarm (f->clock, later, chain, f);
  else
    osi_clock_add_alarm (f->clock, later, record, &again);
}

static void
test_manual (void)
{
  g_autoptr(GDateTime) start = g_date_time_new_from_iso8601 ("2026-12-05T10:00:00Z", NULL);
  g_autoptr(GDateTime) t = NULL;
  Fixture f = { osi_clock_new_manual (start), g_ptr_array_new_with_free_func (g_free),
                g_date_time_to_unix (start), 0 };
  Call a = { &f, "a" }, b = { &f, "b" }, c = { &f, "c" }, gone = { &f, "gone" };
  g_autofree char *joined = NULL;
  guint id;

  /* Added out of order; one removed before it is due. */
  osi_clock_add_alarm (f.clock, t = at (&f, 300), record, &c);
  g_clear_pointer (&t, g_date_time_unref);
  osi_clock_add_alarm (f.clock, t = at (&f, 100), record, &a);
  g_clear_pointer (&t, g_date_time_unref);
  id = osi_clock_add_alarm (f.clock, t = at (&f, 150), record, &gone);
  g_clear_pointer (&t, g_date_time_unref);
  osi_clock_add_alarm (f.clock, t = at (&f, 200), record, &b);
  g_clear_pointer (&t, g_date_time_unref);
  g_assert_cmpuint (id, !=, 0);
  osi_clock_remove_alarm (f.clock, id);

  /* Nothing runs until the clock moves, and then only what is due. */
  g_assert_cmpuint (f.seen->len, ==, 0);
  osi_clock_advance_to (f.clock, t = at (&f, 250));
  g_clear_pointer (&t, g_date_time_unref);
  g_ptr_array_add (f.seen, NULL);
  joined = g_strjoinv (" ", (char **) f.seen->pdata);
  g_assert_cmpstr (joined, ==, "a@100 b@200");
  g_ptr_array_remove_index (f.seen, f.seen->len - 1);
  {
    g_autoptr(GDateTime) now = osi_clock_now (f.clock);
    g_assert_cmpint (g_date_time_to_unix (now) - f.start, ==, 250);
  }

  /* Alarms added by an alarm run in the same move when they are due. */
  osi_clock_add_alarm (f.clock, t = at (&f, 260), chain, &f);
  g_clear_pointer (&t, g_date_time_unref);
  osi_clock_advance_to (f.clock, t = at (&f, 1000));
  g_clear_pointer (&t, g_date_time_unref);
  g_ptr_array_add (f.seen, NULL);
  g_free (joined);
  joined = g_strjoinv (" ", (char **) f.seen->pdata);
  g_assert_cmpstr (joined, ==, "a@100 b@200 chain@260 chain@270 chain@280 chained@290 c@300");

  g_ptr_array_unref (f.seen);
  g_assert_finalize_object (f.clock);
}

static void
quit_cb (gpointer data)
{
  Fixture *f = data;

  record (&(Call) { f, "fired" });
}

static void
test_system (void)
{
  Fixture f = { osi_clock_new_system (), g_ptr_array_new_with_free_func (g_free), 0, 0 };
  g_autoptr(GDateTime) now = osi_clock_now (f.clock);
  g_autoptr(GDateTime) past = g_date_time_add_seconds (now, -3600);
  g_autoptr(GDateTime) soon = g_date_time_add (now, G_USEC_PER_SEC / 5);
  g_autoptr(GDateTime) never = g_date_time_add_seconds (now, 3600);
  g_autoptr(GDateTime) after = NULL;

  f.start = g_date_time_to_unix (now);
  osi_clock_add_alarm (f.clock, never, quit_cb, &f);
  osi_clock_add_alarm (f.clock, soon, quit_cb, &f);
  osi_clock_add_alarm (f.clock, past, quit_cb, &f);

  while (f.seen->len < 2)
    g_main_context_iteration (NULL, TRUE);

  /* The past one at once, the near one not before its time. */
  after = osi_clock_now (f.clock);
  g_assert_cmpint (g_date_time_compare (after, soon), >=, 0);
  g_assert_cmpuint (f.seen->len, ==, 2);

  /* The far one goes with the clock, its timer with it. */
  g_ptr_array_unref (f.seen);
  g_assert_finalize_object (f.clock);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/clock/manual", test_manual);
  g_test_add_func ("/clock/system", test_system);

  return g_test_run ();
}
