/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "osi-core"

#include "config.h"

#include "osi-task.h"

#define FUNC_KEY "osi-task-func"

static void
task_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OsiTaskFunc *func = g_object_get_data (G_OBJECT (task), FUNC_KEY);
  GError *error = NULL;

  if ((*func) (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
osi_task_run_in_thread (GTask       *task,
                        OsiTaskFunc  func)
{
  OsiTaskFunc *box;

  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (func != NULL);

  box = g_new (OsiTaskFunc, 1);
  *box = func;
  g_object_set_data_full (G_OBJECT (task), FUNC_KEY, box, g_free);
  g_task_run_in_thread (task, task_thread);
}

void
osi_context_post (GMainContext   *context,
                  GSourceFunc     func,
                  gpointer        data,
                  GDestroyNotify  notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, notify);
  g_source_set_static_name (source, "[osi] posted");
  g_source_attach (source, context);
  g_source_unref (source);
}
