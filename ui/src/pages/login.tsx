/** Log in with a dagbridge user (`dagbridge users create`): a session cookie and the CSRF token changes send. */
import { useState, type FormEvent } from 'react';
import { api, type Me } from '../api';
import { useFlash } from '../components';

export function LoginPage({ onLogin }: { onLogin: (me: Me) => void }) {
  const flash = useFlash();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void flash.run(() => api<Me>('POST', '/dagbridge/api/v1/login', { username, password }), (me) => {
      onLogin(me);
      return `logged in as ${me.username} (${me.role})`;
    });
  };
  return (
    <form id="login" onSubmit={submit}>
      <h1>Log in</h1>
      <label>Username <input id="username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} /></label>
      <label>Password <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} /></label>
      <button type="submit">Log in</button>
    </form>
  );
}
