import { redirect } from '@sveltejs/kit';
import { clearTokenCookie } from '$lib/server/token-cookie';
import type { RequestHandler } from './$types';

/** Forgets the login and returns to the login page. */
const logout: RequestHandler = ({ cookies, url }) => {
  clearTokenCookie(cookies, url);
  redirect(303, '/login');
};

export const GET = logout;
export const POST = logout;
