/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include "osi-progress-relay.h"
#include "osi-task.h"

struct _OsiProgressRelay
{
  GMainContext    *context;
  OsiProgressFunc  func;
  gpointer         data;
  GMutex           mutex;
  guint64          done;
  guint64          total;
  gboolean         pending;
  gatomicrefcount  ref_count;
};

OsiProgressRelay *
osi_progress_relay_new (OsiProgressFunc func,
                        gpointer        data)
{
  OsiProgressRelay *relay = g_new0 (OsiProgressRelay, 1);

  g_return_val_if_fail (func != NULL, NULL);

  relay->context = g_main_context_ref_thread_default ();
  relay->func = func;
  relay->data = data;
  g_mutex_init (&relay->mutex);
  g_atomic_ref_count_init (&relay->ref_count);
  return relay;
}

void
osi_progress_relay_unref (OsiProgressRelay *relay)
{
  if (relay == NULL || !g_atomic_ref_count_dec (&relay->ref_count))
    return;
  g_main_context_unref (relay->context);
  g_mutex_clear (&relay->mutex);
  g_free (relay);
}

static gboolean
relay_dispatch (gpointer data)
{
  OsiProgressRelay *relay = data;
  guint64 done;
  guint64 total;

  g_mutex_lock (&relay->mutex);
  done = relay->done;
  total = relay->total;
  relay->pending = FALSE;
  g_mutex_unlock (&relay->mutex);

  relay->func (done, total, relay->data);
  return G_SOURCE_REMOVE;
}

void
osi_progress_relay_report (guint64  done,
                           guint64  total,
                           gpointer data)
{
  OsiProgressRelay *relay = data;
  gboolean schedule;

  g_mutex_lock (&relay->mutex);
  relay->done = done;
  relay->total = total;
  schedule = !relay->pending;
  relay->pending = TRUE;
  g_mutex_unlock (&relay->mutex);

  if (schedule)
    {
      g_atomic_ref_count_inc (&relay->ref_count);
      osi_context_post (relay->context, relay_dispatch, relay, (GDestroyNotify)osi_progress_relay_unref);
    }
}
