/* Compartment gateways' guests: bundles, processes, readiness (gwguest.c). */
#ifndef GWGUEST_H
#define GWGUEST_H

struct netd_config;

/* Write every gateway's bundle; start or SIGHUP compartment guests. */
void	gw_guests_sync(struct netd_config *);
/* Read the guests' status; 1 if some gateway's readiness changed. */
int	gw_guests_poll(struct netd_config *);
/* Stop the guests of gateways gone from the config (all: every one)
 * and remove their bundles. */
void	gw_guests_prune(const struct netd_config *, int all);

#endif
