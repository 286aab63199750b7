// Which pages each role of head office sees. The hub's gate decides what a
// role may do (every route refuses the roles outside it); the screen shows
// each account only the pages its role can use, from the roles each page
// module declares. Pure, tested with node.

// ROLES are the role ids the hub's accounts carry, in the order the
// accounts page offers them.
export const ROLES = ['admin', 'service', 'emergency', 'analyst', 'auditor'];

// allows says whether role may open page; a page that names no roles (the
// login page) is open to anyone.
export function allows(page, role) {
  return !Array.isArray(page.roles) || page.roles.includes(role);
}

// navFor is the navigation of a role: the pages with a nav label it may
// open, in the order given.
export function navFor(pages, role) {
  return pages.filter((p) => p.nav && Array.isArray(p.roles) && p.roles.includes(role));
}

// pagesByRole maps every role to the ids of the pages in its navigation.
export function pagesByRole(pages) {
  return Object.fromEntries(ROLES.map((r) => [r, navFor(pages, r).map((p) => p.id)]));
}
