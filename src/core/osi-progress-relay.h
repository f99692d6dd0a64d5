/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "osi-archive.h"

G_BEGIN_DECLS

/* Work in a thread reports progress there; a relay hands the latest figures
 * to the caller's main context, coalesced, so that a UI gets them where it
 * can use them and never more often than it can draw. */
typedef struct _OsiProgressRelay OsiProgressRelay;

OsiProgressRelay *osi_progress_relay_new    (OsiProgressFunc  func,
                                             gpointer         data);
void              osi_progress_relay_unref  (OsiProgressRelay *relay);
/* An OsiProgressFunc; its user data is the relay. */
void              osi_progress_relay_report (guint64          done,
                                             guint64          total,
                                             gpointer         relay);

G_END_DECLS
