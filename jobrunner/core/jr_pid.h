/*
 * The pid file, for init scripts and logrotate's postrotate "kill -HUP".
 */

#ifndef JR_PID_H
#define JR_PID_H

/* Writes our pid to path.  Returns 0, or -1 after logging why. */
int jr_pid_write(const char *path);

/* Removes path; a failure is logged, since there is no one else to tell. */
void jr_pid_remove(const char *path);

#endif /* JR_PID_H */
