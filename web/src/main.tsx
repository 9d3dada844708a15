import { render } from 'preact';
import { App } from './App';
import { completeSignIn, loadConfig } from './auth';
import './styles.css';

const root = document.getElementById('app')!;

async function start() {
  try {
    const config = await loadConfig();
    const error = await completeSignIn(config.auth);
    root.textContent = '';
    render(<App config={config} signInError={error} />, root);
  } catch (error) {
    root.textContent = `Feedback Tracker could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
}

void start();
