/*
 * quantity.h - Kubernetes resource quantities ("500m", "1Gi", "1.5",
 * "1e3") as apimachinery's resource.Quantity parses them, converted to
 * integers the way Value() and MilliValue() do: rounded up (away from
 * zero), never wrapping. Internal to the scenario module.
 *
 * Syntax (apimachinery/pkg/api/resource/quantity.go):
 *   quantity ::= [+-] number suffix
 *   number   ::= digits | digits "." digits | digits "." | "." digits
 *   suffix   ::= "" | n | u | m | k | M | G | T | P | E      (decimal SI)
 *              | Ki | Mi | Gi | Ti | Pi | Ei                (binary SI)
 *              | (e | E) [+-] digits                       (exponent)
 * No whitespace anywhere. Unlike upstream, a number needs at least one
 * digit ("Gi" and "." are rejected, where upstream reads them as 0).
 *
 * Magnitudes beyond int64 are capped at INT64_MAX (upstream caps a
 * quantity at 2^63-1 as well); results never overflow.
 */
#ifndef SIM_SCENARIO_QUANTITY_H
#define SIM_SCENARIO_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses s[0..len) and writes ceil(q * 10^scale) to *out, saturated to
 * [-INT64_MAX, INT64_MAX]: scale 0 is Value() (bytes, counts), scale 3 is
 * MilliValue() (millicores). Returns 0, or SIM_EINVAL if s is not a
 * quantity (*out untouched).
 */
int quantity_parse_scaled(const char *s, size_t len, int scale, int64_t *out);

/* Value(): "1Gi" -> 1073741824, "1.5" -> 2, "100m" -> 1. */
int quantity_value(const char *s, int64_t *out);

/* MilliValue(): "500m" -> 500, "1" -> 1000, "0.1m" -> 1. */
int quantity_milli_value(const char *s, int64_t *out);

#endif
