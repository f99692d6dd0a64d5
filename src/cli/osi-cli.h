/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit status of docs/api.md §9. */
enum
{
  OSI_CLI_EXIT_OK = 0,
  OSI_CLI_EXIT_PROBLEM = 1,
  OSI_CLI_EXIT_USAGE = 2,
  OSI_CLI_EXIT_SERVER = 3,
};

int osi_cli_run (int    argc,
                 char **argv);

G_END_DECLS
