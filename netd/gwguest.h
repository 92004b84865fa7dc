/* Compartment gateways' guests: bundles, processes, readiness (gwguest.c). */
#ifndef GWGUEST_H
#define GWGUEST_H

struct netd_config;

/* Write every gateway's bundle; start or SIGHUP compartment guests. */
void	gw_guests_sync(struct netd_config *);
/* Read the guests' status; 1 if some gateway's readiness changed. */
int	gw_guests_poll(struct netd_config *);
/* Teardown: stop them (their firewalls go with the namespaces). */
void	gw_guests_stop(const struct netd_config *);

#endif
