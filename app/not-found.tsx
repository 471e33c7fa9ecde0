import Link from "next/link";

const NotFound = () => (
  <main id="main" className="mx-auto max-w-xl px-4 py-16">
    <h1 className="text-2xl font-semibold">Page not found</h1>
    <Link href="/" className="mt-6 inline-block underline">
      Back to My access
    </Link>
  </main>
);

export default NotFound;
