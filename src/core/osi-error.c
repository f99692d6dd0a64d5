/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "osi-error.h"

G_DEFINE_QUARK (osi-error-quark, osi_error)
