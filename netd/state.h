/* kubsd-netd's state directory (state.c). */
#ifndef STATE_H
#define STATE_H

struct netd_config;

struct node;

void	state_note_attachment(const struct netd_config *, const struct node *);
void	state_sync_attachments(const struct netd_config *);
int	state_load_attachments(struct netd_config *);
void	state_sync_compartments(const struct netd_config *);
void	state_clear(const struct netd_config *);

#endif
