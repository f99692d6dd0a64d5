/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Makes what a screen reader reads of a button, a drop-down or an image
 * what the screen shows, for the widgets GTK 4.8 and libadwaita 1.2 name
 * wrongly, ours and theirs (dialog responses, toasts, drop-downs, menu
 * buttons, the preferences window's search, an entry row's apply button,
 * a password row's peek toggle): a button with a mnemonic reads its
 * label once and without the underscore, not "C_reate Create"; a button
 * GTK names after its type ("GtkImage", "GtkToggleButton") takes its
 * tooltip, or the text it shows; a drop-down's button says what it
 * chooses and what is chosen; an image that only decorates is hidden;
 * a control the app named as the label shown beside it names it ("Heure"
 * for the hour of a row "Heure") is read once, not "Heure Heure".
 * A widget the app named itself is left alone. A window or popover is
 * gone through whole as it shows (a screen reader reads the pages of a
 * stack not shown too), each widget again as it shows, and a name follows
 * what it comes from. Once per process: the application calls it as it
 * is made, the preferences window (which tests make without one) from
 * its class_init, like osi_resources_ensure (). */
void osi_a11y_ensure (void);

G_END_DECLS
