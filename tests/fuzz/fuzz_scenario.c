/*
 * fuzz_scenario.c - libFuzzer harness for the scenario loader: any bytes
 * must load or be refused with a diagnostic, never crash, hang or grow
 * memory without bound (design.md, reliability targets).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct scenario s;
  struct diag d;

  memset(&d, 0, sizeof(d));
  if (scenario_load_string(&s, "fuzz.yaml", (const char *)data, size, &d) == 0)
    scenario_release(&s);
  else if (d.msg[0] == '\0')
    __builtin_trap(); /* an error must always say what was wrong */
  return 0;
}
