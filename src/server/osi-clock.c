/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-clock.h"

typedef struct
{
  guint             id;
  gint64            at_us;       /* microseconds since the epoch, UTC */
  OsiClockAlarmFunc func;
  gpointer          user_data;
  GSource          *source;      /* system clock: the next look */
} Alarm;

struct _OsiClock
{
  GObject  parent_instance;

  gboolean manual;
  gint64   now_us;               /* manual clock */
  guint    next_id;
  GList   *alarms;               /* Alarm, by at_us */
};

G_DEFINE_FINAL_TYPE (OsiClock, osi_clock, G_TYPE_OBJECT)

/* How long the system clock trusts a timer: wall-clock time can jump
 * (NTP, a hand-set clock, suspend) while a monotonic timeout waits. */
#define LOOK_AGAIN_SECONDS 60

/* GLib 2.80 has these; Debian 12 has 2.74. */
static gint64
to_unix_usec (GDateTime *date)
{
  return g_date_time_to_unix (date) * G_USEC_PER_SEC + g_date_time_get_microsecond (date);
}

static GDateTime *
from_unix_usec (gint64 usec)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);

  return g_date_time_add (seconds, usec % G_USEC_PER_SEC);
}

static void
alarm_free (Alarm *alarm)
{
  if (alarm->source != NULL)
    {
      g_source_destroy (alarm->source);
      g_source_unref (alarm->source);
    }
  g_free (alarm);
}

static void
osi_clock_finalize (GObject *object)
{
  OsiClock *self = OSI_CLOCK (object);

  g_list_free_full (self->alarms, (GDestroyNotify) alarm_free);

  G_OBJECT_CLASS (osi_clock_parent_class)->finalize (object);
}

static void
osi_clock_class_init (OsiClockClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = osi_clock_finalize;
}

static void
osi_clock_init (OsiClock *self)
{
  self->next_id = 1;
}

OsiClock *
osi_clock_new_system (void)
{
  return g_object_new (OSI_TYPE_CLOCK, NULL);
}

OsiClock *
osi_clock_new_manual (GDateTime *start)
{
  OsiClock *self;

  g_return_val_if_fail (start != NULL, NULL);

  self = g_object_new (OSI_TYPE_CLOCK, NULL);
  self->manual = TRUE;
  self->now_us = to_unix_usec (start);
  return self;
}

static gint64
now_us (OsiClock *self)
{
  return self->manual ? self->now_us : g_get_real_time ();
}

GDateTime *
osi_clock_now (OsiClock *self)
{
  g_return_val_if_fail (OSI_IS_CLOCK (self), NULL);

  return from_unix_usec (now_us (self));
}

static gint
alarm_compare (gconstpointer a,
               gconstpointer b)
{
  const Alarm *x = a, *y = b;

  if (x->at_us != y->at_us)
    return x->at_us < y->at_us ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void arm (OsiClock *self, Alarm *alarm);

typedef struct
{
  OsiClock *clock;   /* weak: the alarm goes with the clock */
  guint     id;
} Look;

static gboolean
look_cb (gpointer data)
{
  Look *look = data;
  OsiClock *self = look->clock;
  GList *link;
  Alarm *alarm;

  for (link = self->alarms; link != NULL; link = link->next)
    if (((Alarm *) link->data)->id == look->id)
      break;
  if (link == NULL)
    return G_SOURCE_REMOVE;

  alarm = link->data;
  g_clear_pointer (&alarm->source, g_source_unref);
  if (alarm->at_us > g_get_real_time ())
    {
      arm (self, alarm);
      return G_SOURCE_REMOVE;
    }

  self->alarms = g_list_delete_link (self->alarms, link);
  alarm->func (alarm->user_data);
  alarm_free (alarm);
  return G_SOURCE_REMOVE;
}

static void
arm (OsiClock *self,
     Alarm    *alarm)
{
  gint64 wait_us = MAX (alarm->at_us - g_get_real_time (), 0);
  guint wait_ms = (guint) MIN (wait_us / 1000 + 1, (gint64) LOOK_AGAIN_SECONDS * 1000);
  Look *look = g_new (Look, 1);

  look->clock = self;
  look->id = alarm->id;
  alarm->source = g_timeout_source_new (wait_us == 0 ? 0 : wait_ms);
  g_source_set_callback (alarm->source, look_cb, look, g_free);
  g_source_set_static_name (alarm->source, "[osi] clock alarm");
  g_source_attach (alarm->source, g_main_context_get_thread_default ());
}

guint
osi_clock_add_alarm (OsiClock          *self,
                     GDateTime         *at,
                     OsiClockAlarmFunc  func,
                     gpointer           user_data)
{
  Alarm *alarm;

  g_return_val_if_fail (OSI_IS_CLOCK (self), 0);
  g_return_val_if_fail (at != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);

  alarm = g_new0 (Alarm, 1);
  alarm->id = self->next_id++;
  alarm->at_us = to_unix_usec (at);
  alarm->func = func;
  alarm->user_data = user_data;
  self->alarms = g_list_insert_sorted (self->alarms, alarm, alarm_compare);
  if (!self->manual)
    arm (self, alarm);
  return alarm->id;
}

void
osi_clock_remove_alarm (OsiClock *self,
                        guint     id)
{
  g_return_if_fail (OSI_IS_CLOCK (self));

  for (GList *link = self->alarms; link != NULL; link = link->next)
    {
      Alarm *alarm = link->data;

      if (alarm->id == id)
        {
          self->alarms = g_list_delete_link (self->alarms, link);
          alarm_free (alarm);
          return;
        }
    }
}

void
osi_clock_advance_to (OsiClock  *self,
                      GDateTime *to)
{
  gint64 to_us;

  g_return_if_fail (OSI_IS_CLOCK (self));
  g_return_if_fail (self->manual);
  g_return_if_fail (to != NULL);

  to_us = to_unix_usec (to);
  g_return_if_fail (to_us >= self->now_us);

  while (self->alarms != NULL && ((Alarm *) self->alarms->data)->at_us <= to_us)
    {
      Alarm *alarm = self->alarms->data;

      self->alarms = g_list_delete_link (self->alarms, self->alarms);
      self->now_us = MAX (self->now_us, alarm->at_us);
      alarm->func (alarm->user_data);
      alarm_free (alarm);
    }
  self->now_us = to_us;
}
