/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers the app's GResource bundle once. Widget classes with a
 * template call it from class_init, so that tests need no application. */
void osi_resources_ensure (void);

G_END_DECLS
