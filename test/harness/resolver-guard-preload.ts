// `node --import` entry of the resolver guard (see resolver-guard.ts): installs it before anything runs.
import { installGuard } from './resolver-guard.js';

installGuard();
