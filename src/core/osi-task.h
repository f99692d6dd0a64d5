/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The work a worker thread does for a GTask: TRUE, or FALSE with error. */
typedef gboolean (*OsiTaskFunc) (gpointer       task_data,
                                 GCancellable  *cancellable,
                                 GError       **error);

/* g_task_run_in_thread () for work that succeeds or fails: func runs on
 * the task's data, and the task returns TRUE or func's error. */
void osi_task_run_in_thread (GTask       *task,
                             OsiTaskFunc  func);

/* Calls func (data) in the thread that runs context, from any thread:
 * unlike g_main_context_invoke (), never in the calling thread, even when
 * it could acquire context (a worker reporting before the caller's loop
 * runs would otherwise call the caller's callback itself). notify frees
 * data once func has run, or if context goes away first. */
void osi_context_post       (GMainContext   *context,
                             GSourceFunc     func,
                             gpointer        data,
                             GDestroyNotify  notify);

G_END_DECLS
