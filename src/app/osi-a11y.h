/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Names, for screen readers, the icon-only buttons GTK 4.8 and libadwaita
 * 1.2 make inside their own widgets without a name (the preferences
 * window's search, an entry row's apply button, a password row's peek
 * toggle, a menu button's inner button): each takes its tooltip as its
 * accessible label when it first shows. Once per process; the widget
 * classes with a template call it from class_init, like
 * osi_resources_ensure (). Our own icon buttons are named explicitly. */
void osi_a11y_ensure (void);

G_END_DECLS
